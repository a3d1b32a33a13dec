import type { LinuxSyscall } from '../syscall.js';

/**
 * What the child module receives as its second argument, besides the JSON `args`
 * (the same numbers are in its environment: `BPFKIT_BPFFS_FD`, `BPFKIT_BPFFS_MOUNT_FD`,
 * `BPFKIT_BPFFS_PATH`).
 *
 * @example
 * // child.mjs, run by runWithDelegatedBpffs
 * export default function (args, ctx) {
 *   const token = ctx.sys.bpf(BpfCmd.BPF_TOKEN_CREATE, encodeTokenCreateAttr({ bpffs_fd: ctx.bpffsFd }));
 *   return { token: token > 0 };
 * }
 */
export interface DelegatedContext {
  /** A `LinuxSyscall` of the child, created without the plain-bpf() probe (it would fail with EPERM here). */
  readonly sys: LinuxSyscall;
  /** O_RDONLY|O_DIRECTORY fd on the delegating bpffs root: pass it as `bpffs_fd` to BPF_TOKEN_CREATE. */
  readonly bpffsFd: number;
  /** The fsmount() fd itself (O_PATH: BPF_TOKEN_CREATE rejects it with EBADF). */
  readonly mountFd: number;
  /**
   * A path to the bpffs root for path-based clients (`tokenPath`, `LIBBPF_BPF_TOKEN_PATH`):
   * the `mountAt` option when given (the bpffs is mounted there in the child's mount namespace),
   * else `/proc/self/fd/<mountFd>`.
   */
  readonly bpffsPath: string;
}

/**
 * The shape of a child module's default export: JSON `args` in, a JSON-serialisable
 * result (or a promise of one) out. A thrown error reaches the parent as a rejected promise.
 *
 * @example
 * const run: DelegatedMain<{ n: number }, number> = (args) => args.n + 1;
 */
export type DelegatedMain<A = unknown, R = unknown> = (args: A, ctx: DelegatedContext) => R | Promise<R>;
