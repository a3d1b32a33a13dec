import { BpfError, type BpfErrorReason } from '@bpfkit/kernel-api';

/** An EINVAL {@link BpfError}: every asm failure is bad input, as for the kernel. */
export function asmError(reason: `asm:${string}`, message: string): BpfError {
  return new BpfError('EINVAL', reason satisfies BpfErrorReason, message);
}
