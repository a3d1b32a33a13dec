/**
 * The caller's address space as the kernel sees it through `copy_from_user`:
 * `bpf_attr` carries u64 pointers (insns, keys, values, log buffers), and they
 * resolve here. A bad address reads or writes as EFAULT.
 */
export interface UserMemory {
  /** Copies `length` bytes at `addr`; throws `BpfError('EFAULT')` outside any allocation. */
  read(addr: bigint, length: number): Uint8Array;
  /** Copies `bytes` to `addr`; throws `BpfError('EFAULT')` outside any allocation. */
  write(addr: bigint, bytes: Uint8Array): void;
  /** Allocates a zeroed buffer (or a copy of `init`) and returns its address (never 0). */
  alloc(sizeOrInit: number | Uint8Array): bigint;
  /** Frees an allocation. */
  free(addr: bigint): void;
}
