import type { Credentials, UserMemory } from '@bpfkit/kernel-api';
import type { KernelCore } from '../core.js';
import type { KFdTable } from '../fs/fdtable.js';
import type { WalkContext } from '../fs/namei.js';

/**
 * What a `bpf()` command (and the code it calls) may use of the calling task: the kernel it runs in,
 * the caller's credentials, fd table and memory, and path walks from its root and cwd. A command
 * never forks, unshares, mounts or exits the task; taking this rather than the task itself says so,
 * and lets a command run against any caller that provides these.
 */
export interface SyscallContext {
  /** The kernel: deps, object registries, sysctls, tracer. */
  readonly core: KernelCore;
  /** The caller's pid (fdinfo, `/proc/<pid>`). */
  readonly pid: number;
  /** `current_cred()`. */
  readonly cred: Credentials;
  /** The caller's open files. */
  readonly fdTable: KFdTable;
  /** The caller's memory: what attr pointers point into. */
  readonly memory: UserMemory;
  /** The caller's umask, for the inodes a pin creates. */
  readonly umask: number;
  /** Where the caller's path walks start (root, cwd, fds). */
  walkContext(): WalkContext;
}
