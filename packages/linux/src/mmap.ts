import { BpfError, PROT_WRITE, type MemoryMapping } from '@bpfkit/kernel-api';
import { ERRNO_DESCRIPTIONS, errnoName, type ErrnoName } from '@bpfkit/uapi';
import type { NativeBridge } from './native.js';

const PAGE_SIZE = 4096;

function mmError(what: string, errno: number): BpfError {
  const code: ErrnoName = errnoName(errno) ?? 'EIO';
  return new BpfError(code, 'linux:mmap', `${what} on Linux: ${code} (${ERRNO_DESCRIPTIONS[code]})`);
}

/** A mapping made by the real `mmap()`, with the same guarded read/write as the simulated kernel's. */
export interface LinuxMapping extends MemoryMapping {
  unmap(): void;
}

/**
 * `mmap()` of a BPF map fd through the native bridge. Reads and writes are
 * checked against the mapping (and its protection) before they touch memory,
 * so a bad offset is EFAULT instead of a crash.
 */
export function linuxMmap(native: NativeBridge, fd: number, length: number, prot: number, flags: number, offset: number): LinuxMapping {
  if (![fd, length, prot, flags, offset].every((n) => Number.isInteger(n) && n >= -0x8000_0000 && n <= 0x7fff_ffff)) {
    throw new BpfError('EINVAL', 'linux:mmap', 'mmap arguments must be 32-bit integers');
  }
  const out = new Uint8Array(8);
  const r = native.mmap(fd, length, prot, flags, offset, out);
  if (r < 0) throw mmError(`mmap(fd ${fd}, ${length}, prot ${prot}, flags ${flags}, offset ${offset})`, -r);
  const addr = new DataView(out.buffer).getBigUint64(0, true);
  const mapped = Math.ceil(length / PAGE_SIZE) * PAGE_SIZE;
  const writable = (prot & PROT_WRITE) !== 0;
  let live = true;
  const check = (off: number, len: number): void => {
    if (!live) throw new BpfError('EFAULT', 'linux:unmapped', 'the mapping was unmapped');
    if (!Number.isInteger(off) || off < 0 || len < 0 || off + len > length) {
      throw new BpfError('EFAULT', 'linux:out-of-mapping', `[${off}, ${off + len}) is outside the ${length} mapped bytes`);
    }
  };
  const read = (off: number, len: number): Uint8Array => {
    check(off, len);
    const bytes = new Uint8Array(len);
    native.copy(addr + BigInt(off), bytes, 0);
    return bytes;
  };
  return {
    length,
    prot,
    get bytes(): Uint8Array {
      return read(0, length);
    },
    read,
    write(off: number, bytes: Uint8Array): void {
      check(off, bytes.length);
      if (!writable) throw new BpfError('EFAULT', 'linux:read-only-mapping', 'a write through a read-only mapping');
      native.copy(addr + BigInt(off), bytes, 1);
    },
    unmap(): void {
      if (!live) return;
      live = false;
      native.munmap(addr, mapped);
    },
  };
}
