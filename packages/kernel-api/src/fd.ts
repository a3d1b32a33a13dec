/**
 * What an open file description is: the kernel's `struct file` reduced to the
 * kinds the simulated kernel creates.
 */
export type OpenFileKind =
  | 'dir'
  | 'reg'
  | 'path'
  | 'fs-context'
  | 'proc'
  | 'bpf-map'
  | 'bpf-prog'
  | 'bpf-btf'
  | 'bpf-token'
  /** A BPF link (`anon_inode:bpf_link`). */
  | 'bpf-link'
  /** BPF_ENABLE_STATS: run-time statistics are collected while one is open. */
  | 'bpf-stats'
  /** `perf_event_open()`: an `anon_inode:[perf_event]` file. */
  | 'perf-event'
  /** BPF_ITER_CREATE: a `bpf_iter` file whose reads run an iterator program. */
  | 'bpf-iter';

/** An open file description (`struct file`), shared by every fd that dups it. */
export interface OpenFile {
  /** A stable id, for fdinfo and leak accounting. */
  readonly id: number;
  readonly kind: OpenFileKind;
  /** Opened with `O_PATH` (`FMODE_PATH`): `fdget()` ignores such files, so most syscalls give EBADF. */
  readonly opath: boolean;
  /** The `open()` flags the file was created with (access mode and status flags). */
  readonly flags: number;
}

/** One slot of a file-descriptor table. */
export interface FdEntry<F extends OpenFile = OpenFile> {
  readonly file: F;
  /** `FD_CLOEXEC`. */
  readonly cloexec: boolean;
}

/**
 * A task's file-descriptor table (`struct files_struct`). fds are the lowest
 * free numbers, as `get_unused_fd_flags()` picks them.
 *
 * @example
 * const fd = table.install(file, { cloexec: true });
 * table.get(fd)?.cloexec; // true
 * table.close(fd);
 */
export interface FdTable<F extends OpenFile = OpenFile> {
  /** Installs `file` (taking a reference) at the lowest free fd; EMFILE when full. */
  install(file: F, options?: { readonly cloexec?: boolean }): number;
  /** The entry at `fd`, or undefined when it is not open (O_PATH files included). */
  get(fd: number): FdEntry<F> | undefined;
  /** `close(fd)`: EBADF when not open. Drops the table's reference on the file. */
  close(fd: number): void;
  /** Sets or clears `FD_CLOEXEC` (`fcntl(F_SETFD)`). */
  setCloexec(fd: number, cloexec: boolean): void;
  /** The open fds, ascending. */
  fds(): number[];
  /** How many fds are open. */
  readonly size: number;
}

/** `RLIMIT_NOFILE` default soft limit: the table refuses fds at or past this with EMFILE. */
export const DEFAULT_NOFILE = 1024;
