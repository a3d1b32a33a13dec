import type { UserMemory } from './memory.js';

/**
 * The one seam between a BPF client and a kernel: `bpf(cmd, attr, size)`.
 * The simulated kernel and the real one (`@bpfkit/linux`) both implement it,
 * so `@bpfkit/libbpf` never knows which it talks to.
 *
 * @example
 * const attr = encodeAttr(BpfCmd.BPF_MAP_CREATE, { map_type: 2, key_size: 4, value_size: 8, max_entries: 1 });
 * const fd = sys.bpf(BpfCmd.BPF_MAP_CREATE, attr);
 */
export interface BpfSyscall {
  /**
   * Runs one command. Returns what the syscall returns on success (an fd or 0);
   * throws `BpfError` with the kernel's errno otherwise. Out-parameters (log
   * buffers, info structs, lookups) are written to {@link memory} and, for
   * fields the kernel writes back into the attr (e.g. `log_true_size`), to `attr`.
   */
  bpf(cmd: number, attr: Uint8Array): number;
  /** The caller's memory, where attr pointers point. */
  readonly memory: UserMemory;
  /** close(2) on an fd this caller holds. */
  close(fd: number): void;
}
