/**
 * `BPF_MAP_TYPE_ARENA` (kernel/bpf/arena.c): up to 4 GiB of pages shared by programs and
 * user space. Pages come into being through `bpf_arena_alloc_pages` (programs) or a user
 * fault on the mapping, and are addressed on both sides by the low 32 bits of their user
 * address: a program's access is `kern_vm_start + (u32)ptr + off`, so the page table here is
 * keyed by that 32-bit offset.
 *
 * @example
 * const ops = arenaMap.bpfArena!;
 * ops.setUserVm(0x1000_0000_0000n, 0x1000_0000_2000n);
 * const p = ops.allocPages(0n, 1, -1, 0n); // 0x100000000000n
 * ops.store(Number(p & 0xffffffffn), new Uint8Array([1])); // true
 */
export interface BpfArenaOps {
  /** `arena->user_vm_start`: the user address of page 0 (0n until `map_extra` or the first mmap set it). */
  readonly userVmStart: bigint;
  /** `arena->user_vm_end`. */
  readonly userVmEnd: bigint;
  /** Bytes in a page (`PAGE_SIZE`). */
  readonly pageSize: number;
  /**
   * `arena_get_unmapped_area`: throws the kernel's errno for a mapping the arena refuses
   * (EINVAL for an offset, or another size than the bound range; E2BIG over 4 GiB or the range).
   */
  checkMmap(length: number, pgoff: number): void;
  /**
   * `arena_map_mmap`: binds the user range on the first mapping (without `map_extra` the
   * kernel picks the start); returns the range's start.
   */
  mmap(length: number): bigint;
  /**
   * `arena_alloc_pages`: `pageCnt` zeroed pages at `uaddr` (0: anywhere free); the user
   * address of the first, or 0n when the range is taken, outside the arena or too large.
   */
  allocPages(uaddr: bigint, pageCnt: number, nodeId: number, flags: bigint): bigint;
  /** `arena_free_pages`: drops the pages of [uaddr, uaddr + pageCnt pages) that exist. */
  freePages(uaddr: bigint, pageCnt: number): void;
  /**
   * `bpf_arena_reserve_pages`: marks free pages as taken without backing them; 0, or
   * -EINVAL outside the arena, -EBUSY when one is already taken.
   */
  reservePages(uaddr: bigint, pageCnt: number): number;
  /**
   * A program's load of `size` bytes at kernel offset `kaddr` (`(u32)ptr + off`, may be
   * negative or past 4 GiB by the s16 offset): the bytes, or undefined where a page is
   * missing (the JIT's exception table then gives 0).
   */
  load(kaddr: number, size: number): Uint8Array | undefined;
  /** A program's store: false (and nothing written) where a page is missing. */
  store(kaddr: number, bytes: Uint8Array): boolean;
  /**
   * User space touching page `pgoff` of its mapping (`arena_vm_fault`): the page, allocated
   * zeroed on first touch, or undefined (SIGSEGV) with `BPF_F_SEGV_ON_FAULT` or when the
   * page was reserved.
   */
  userPage(pgoff: number): Uint8Array | undefined;
}
