import { BpfError, type UserMemory } from '@bpfkit/kernel-api';
import type { NativeBridge } from './native.js';

/**
 * {@link UserMemory} backed by real heap memory of this process: the
 * addresses are what the kernel dereferences, so they go into attrs as-is.
 * Every read and write is bounds-checked against the allocations made here
 * (EFAULT otherwise), so a wrong address never touches memory Node owns.
 */
export interface LinuxUserMemory extends UserMemory {
  /** The allocation holding `[addr, addr + length)`, or undefined. */
  owner(addr: bigint, length: number): { readonly addr: bigint; readonly size: number } | undefined;
  /** Frees every allocation still held (used by `close()` of the syscall object). */
  freeAll(): void;
}

/** Creates the memory of a linux syscall object over the native bridge. */
export function createLinuxUserMemory(native: NativeBridge): LinuxUserMemory {
  const allocations = new Map<bigint, number>();

  const owner = (addr: bigint, length: number): { readonly addr: bigint; readonly size: number } | undefined => {
    if (length < 0) return undefined;
    for (const [start, size] of allocations) {
      if (addr >= start && addr + BigInt(length) <= start + BigInt(size)) return { addr: start, size };
    }
    return undefined;
  };
  const checked = (addr: bigint, length: number, what: string): void => {
    if (owner(addr, length) === undefined) {
      throw new BpfError('EFAULT', 'linux:bad-address', `${what} of ${length} bytes at 0x${addr.toString(16)} is outside every allocation`);
    }
  };

  return {
    read(addr, length) {
      if (!Number.isInteger(length)) throw new BpfError('EFAULT', 'linux:bad-address', `read length ${length} is not an integer`);
      checked(addr, length, 'read');
      const out = new Uint8Array(length);
      native.copy(addr, out, 0);
      return out;
    },
    write(addr, bytes) {
      checked(addr, bytes.length, 'write');
      native.copy(addr, bytes, 1);
    },
    alloc(sizeOrInit) {
      const size = typeof sizeOrInit === 'number' ? sizeOrInit : sizeOrInit.length;
      if (!Number.isInteger(size) || size < 0 || size > 0x7fff_ffff) {
        throw new BpfError('EINVAL', 'linux:bad-alloc', `cannot allocate ${size} bytes`);
      }
      const addr = native.alloc(size);
      if (addr === 0n) throw new BpfError('ENOMEM', 'linux:alloc', `out of memory allocating ${size} bytes`);
      allocations.set(addr, size);
      if (typeof sizeOrInit !== 'number' && size > 0) native.copy(addr, sizeOrInit, 1);
      return addr;
    },
    free(addr) {
      if (!allocations.delete(addr)) throw new BpfError('EFAULT', 'linux:bad-free', `0x${addr.toString(16)} is not an allocation`);
      native.free(addr);
    },
    owner,
    freeAll() {
      for (const addr of allocations.keys()) native.free(addr);
      allocations.clear();
    },
  };
}
