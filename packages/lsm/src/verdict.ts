import type { LsmDenial } from '@bpfkit/kernel-api';
import type { ErrnoName } from '@bpfkit/uapi';

/**
 * The verdict that lets an operation through (`undefined`, as a hook returning 0).
 *
 * @example
 * progLoad: ({ prog }) => (prog.type === BpfProgType.BPF_PROG_TYPE_XDP ? allow : deny('EPERM', 'xdp only'))
 */
export const allow = undefined;

/**
 * A denial with the errno the syscall will return and a reason for `token explain`.
 *
 * @example
 * deny('EPERM', 'containers may load only xdp');
 */
export function deny(errno: ErrnoName = 'EPERM', message?: string): LsmDenial {
  return message === undefined ? { errno } : { errno, message };
}
