import type { Task } from './task.js';

/** The sysctls bpfkit models, by their dotted name. */
export interface Sysctls {
  /** `kernel.unprivileged_bpf_disabled`: 0, 1 (locked) or 2 (default, as measured on 6.18). */
  readonly 'kernel.unprivileged_bpf_disabled': number;
}

/** Live kernel objects, for leak checks: every failing call must leave these unchanged. */
export interface ObjectCounts {
  /** BPF objects alive (maps, progs, BTF, tokens; the boot-time vmlinux BTF excluded). */
  readonly objects: number;
  /** Open fds across every live task. */
  readonly fds: number;
  /** Open file descriptions (`struct file`). */
  readonly files: number;
  /** Live objects by kind (`map`, `prog`, `btf`, `token`). */
  readonly byKind: Readonly<Record<string, number>>;
  /** Bytes allocated in the simulated machine's arena (map values…), when the kernel has one. */
  readonly arenaBytes?: number;
  /** Live `mmap()`s of BPF maps across every task. */
  readonly mappings?: number;
}

/**
 * The simulated kernel: the initial task, the sysctls and leak accounting.
 *
 * @example
 * const kernel = createDefaultKernel();
 * const c = kernel.init.fork();
 * kernel.counts().fds;
 */
export interface Kernel {
  /** The initial task: root in the initial user and mount namespaces, full capabilities. */
  readonly init: Task;
  /** A live task by pid. */
  task(pid: number): Task | undefined;
  /** Reads a sysctl. */
  sysctl<K extends keyof Sysctls>(name: K): Sysctls[K];
  /** Writes a sysctl as `writer` would through `/proc/sys` (EPERM/EINVAL as the kernel does). */
  setSysctl<K extends keyof Sysctls>(name: K, value: Sysctls[K], writer?: Task): void;
  counts(): ObjectCounts;
}
