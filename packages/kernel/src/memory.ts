import { BpfError, type UserMemory } from '@bpfkit/kernel-api';

interface Allocation {
  readonly base: bigint;
  readonly bytes: Uint8Array;
}

/** Allocations start here and are spaced a page apart, so a stray offset never lands in a neighbour. */
const BASE = 0x1000_0000n;
const GAP = 0x1000n;

/**
 * A task's address space as `copy_from_user` sees it: separate allocations,
 * anything outside them is EFAULT.
 *
 * @example
 * const mem = createUserMemory();
 * const p = mem.alloc(new TextEncoder().encode('GPL\0'));
 * mem.read(p, 4);
 */
export function createUserMemory(): UserMemory {
  const allocations = new Map<bigint, Allocation>();
  let next = BASE;

  const find = (addr: bigint, length: number): { a: Allocation; off: number } => {
    if (length < 0) throw new BpfError('EFAULT', 'memory:bad-length', `negative length ${length}`);
    for (const a of allocations.values()) {
      const end = a.base + BigInt(a.bytes.length);
      if (addr >= a.base && addr + BigInt(length) <= end && addr < end + 1n) {
        return { a, off: Number(addr - a.base) };
      }
    }
    throw new BpfError('EFAULT', 'memory:bad-address', `no user memory at 0x${addr.toString(16)} (+${length})`);
  };

  return {
    read(addr, length) {
      if (length === 0) return new Uint8Array(0);
      const { a, off } = find(addr, length);
      return a.bytes.slice(off, off + length);
    },
    write(addr, bytes) {
      if (bytes.length === 0) return;
      const { a, off } = find(addr, bytes.length);
      a.bytes.set(bytes, off);
    },
    alloc(sizeOrInit) {
      const bytes = typeof sizeOrInit === 'number' ? new Uint8Array(Math.max(0, sizeOrInit)) : sizeOrInit.slice();
      const base = next;
      next += BigInt(bytes.length) + GAP - (BigInt(bytes.length) % GAP);
      allocations.set(base, { base, bytes });
      return base;
    },
    free(addr) {
      if (!allocations.delete(addr)) throw new BpfError('EFAULT', 'memory:bad-free', `no allocation at 0x${addr.toString(16)}`);
    },
  };
}
