/**
 * Bytes below this address are never allocated: NULL, and any small offset
 * from it, is outside every region, so a program that dereferences it faults.
 */
export const ARENA_GUARD_BYTES = 0x1_0000;

/**
 * The simulated machine's memory: one flat byte space where map values,
 * program stacks, contexts and packet data all live. An address is a byte
 * offset into {@link VmArena.bytes}, so it fits in 32 bits and a program's
 * pointer to a map value *is* that value: a store through it changes the map.
 *
 * The bytes are backed by a `WebAssembly.Memory` where WebAssembly exists, so
 * the JIT's code addresses the same bytes as the interpreter and the maps.
 * Growing the arena replaces the buffer: re-read {@link VmArena.bytes} (or
 * compare {@link VmArena.generation}) after anything that may allocate.
 *
 * @example
 * const arena = createVmArena();            // @bpfkit/memory
 * const addr = arena.alloc(16);
 * arena.bytes[addr] = 0x2a;
 * arena.free(addr);
 */
export interface VmArena {
  /** Every byte of the arena; replaced when the arena grows. */
  readonly bytes: Uint8Array;
  /** A `DataView` over {@link bytes}, replaced with it. */
  readonly view: DataView;
  /** Bumped each time {@link bytes} is replaced. */
  readonly generation: number;
  /** The `WebAssembly.Memory` behind the bytes, when the host has WebAssembly. */
  readonly wasmMemory: object | undefined;
  /** Bytes in live allocations (leak accounting: back to its old value once an object is freed). */
  readonly allocatedBytes: number;
  /**
   * Allocates `size` zeroed bytes aligned to `align` (a power of two, default 8)
   * and returns the address (never below {@link ARENA_GUARD_BYTES}). Throws
   * `BpfError('ENOMEM')` when the arena cannot grow that far.
   */
  alloc(size: number, align?: number): number;
  /** Frees an allocation made by {@link alloc}; anything else throws. */
  free(addr: number): void;
  /** Whether `[addr, addr + size)` lies inside one live allocation. */
  contains(addr: number, size: number): boolean;
}
