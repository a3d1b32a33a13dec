import { BpfError, MAP_SHARED, PROT_WRITE, type MemoryMapping } from '@bpfkit/kernel-api';
import type { KFile } from '../fs/file.js';
import type { PerfEvent } from './event.js';
import { PAGE_SIZE, PerfRing } from './ring.js';

/**
 * `perf_mmap` of a perf event fd (after `do_mmap`'s own range checks): a
 * shared mapping (EINVAL otherwise) at offset 0 (the AUX area is not
 * modelled: EINVAL) of the user page and `2^n` data pages (EINVAL for another
 * count); a second mapping must have the same size and shares the ring. The
 * last unmap detaches the ring: outputs fail with -ENOSPC again.
 */
export function mmapPerf(file: KFile, event: PerfEvent, length: number, prot: number, flags: number, offset: number, onUnmap: (m: MemoryMapping) => void): MemoryMapping & { unmap(): void } {
  if (!Number.isInteger(length) || length <= 0 || !Number.isInteger(offset) || offset < 0 || offset % PAGE_SIZE !== 0) {
    throw new BpfError('EINVAL', 'mmap:bad-range', `length ${length}, offset ${offset}: a positive length and a page-aligned offset are needed`);
  }
  if ((flags & 3) !== MAP_SHARED) throw new BpfError('EINVAL', 'perf:mmap-private', 'a perf event ring can only be mapped MAP_SHARED');
  if (offset !== 0) throw new BpfError('EINVAL', 'perf:mmap-aux', 'a mapping past offset 0 is the AUX area, which needs a ring first and an AUX PMU');
  const pages = Math.ceil(length / PAGE_SIZE);
  const dataPages = pages - 1;
  if (dataPages !== 0 && (dataPages & (dataPages - 1)) !== 0) {
    throw new BpfError('EINVAL', 'perf:mmap-pages', `${dataPages} data pages: the ring needs 2^n pages after the user page`);
  }
  const existing = event.ring;
  if (existing !== undefined && existing.dataPages !== dataPages) {
    throw new BpfError('EINVAL', 'perf:mmap-size', `the ring is already mapped with ${existing.dataPages} data pages, not ${dataPages}`);
  }
  const ring = existing ?? new PerfRing(dataPages, (prot & PROT_WRITE) !== 0);
  event.ring = ring;
  ring.mappings++;
  file.get();
  const writable = (prot & PROT_WRITE) !== 0;
  const size = pages * PAGE_SIZE;
  let live = true;
  const inRange = (off: number, len: number): void => {
    if (!live) throw new BpfError('EFAULT', 'mmap:unmapped', 'the mapping was unmapped');
    if (!Number.isInteger(off) || off < 0 || len < 0 || off + len > size) {
      throw new BpfError('EFAULT', 'mmap:out-of-range', `[${off}, ${off + len}) is outside the ${size} mapped bytes`);
    }
  };
  const mapping = {
    length,
    prot,
    get bytes(): Uint8Array {
      inRange(0, 0);
      return writable ? ring.bytes : ring.bytes.slice();
    },
    read(off: number, len: number): Uint8Array {
      inRange(off, len);
      return ring.bytes.slice(off, off + len);
    },
    write(off: number, bytes: Uint8Array): void {
      inRange(off, bytes.length);
      if (!writable) throw new BpfError('EFAULT', 'mmap:read-only', 'a write through a read-only mapping');
      ring.bytes.set(bytes, off);
    },
    unmap(): void {
      if (!live) return;
      live = false;
      if (--ring.mappings === 0 && event.ring === ring) event.ring = undefined;
      onUnmap(mapping);
      file.put();
    },
  };
  return mapping;
}
