import { BpfError } from '@bpfkit/kernel-api';

/**
 * The error every malformed object gives: EINVAL (what libbpf returns for a bad
 * ELF, `-LIBBPF_ERRNO__FORMAT` aside) with an `elf:` reason.
 *
 * @example
 * throw elfError('truncated-header', 'ELF header needs 64 bytes, the file has 10');
 */
export function elfError(code: string, message: string): BpfError {
  return new BpfError('EINVAL', `elf:${code}`, message);
}
