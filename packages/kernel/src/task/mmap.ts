import { BpfError, MAP_PRIVATE, MAP_SHARED, PROT_WRITE, type MemoryMapping } from '@bpfkit/kernel-api';
import { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, BpfMapType as M } from '@bpfkit/uapi';
import { check } from '../bpf/check.js';
import type { MapRecord } from '../bpf/map-record.js';
import type { KernelCore } from '../core.js';
import type { KFile } from '../fs/file.js';
import type { TaskImpl } from './task.js';
import { arenaMapping } from './arena-mmap.js';
import { MappingHold } from './mapping-hold.js';

const PAGE_SIZE = 4096;
const pageAlign = (n: number): number => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;

/** Map types whose ops have `map_mmap`. */
const MMAP_TYPES = new Set<number>([M.BPF_MAP_TYPE_ARRAY, M.BPF_MAP_TYPE_RINGBUF, M.BPF_MAP_TYPE_USER_RINGBUF, M.BPF_MAP_TYPE_ARENA]);

/**
 * Bytes a mapping may cover: an array's values, page-aligned; a ringbuf's
 * consumer and producer pages and its data pages mapped twice in a row.
 */
function mappableBytes(rec: MapRecord, regionSize: number): number {
  const extra = rec.info.mapType === M.BPF_MAP_TYPE_ARRAY ? 0 : rec.info.maxEntries;
  return pageAlign(regionSize + extra);
}

/** `array_map_mmap`, `ringbuf_map_mmap_kern` and `ringbuf_map_mmap_user`: the per-type rules on what may be mapped. */
function typeMmapCheck(core: KernelCore, rec: MapRecord, writable: boolean, offset: number, length: number, regionSize: number): void {
  const type = rec.info.mapType;
  if (type === M.BPF_MAP_TYPE_ARRAY) {
    check(core, 'array_map_mmap:mmapable', (rec.info.mapFlags & BPF_F_MMAPABLE) !== 0, 'EINVAL', 'mmap:not-mmapable', {
      pass: 'the array was created with BPF_F_MMAPABLE',
      fail: 'the array was created without BPF_F_MMAPABLE',
    });
  } else if (writable && type === M.BPF_MAP_TYPE_RINGBUF) {
    // A ringbuf's consumer page is the only page user space may write.
    check(core, 'ringbuf_map_mmap_kern:writable', offset === 0 && length === PAGE_SIZE, 'EPERM', 'mmap:ringbuf-write', {
      pass: 'a writable mapping of the consumer page only',
      fail: 'only the ringbuf consumer page (offset 0, one page) may be mapped writable',
    });
  } else if (writable) {
    // A user ringbuf's producer is user space: everything but the consumer page may be written.
    check(core, 'ringbuf_map_mmap_user:writable', offset !== 0, 'EPERM', 'mmap:user-ringbuf-write', {
      pass: 'a writable mapping from the producer page on',
      fail: 'the user ringbuf consumer page (offset 0) may not be mapped writable',
    });
  }
  const limit = mappableBytes(rec, regionSize);
  const end = offset + pageAlign(length);
  check(core, 'map_mmap:range', end <= limit, 'EINVAL', 'mmap:past-the-map', {
    pass: `[${offset}, ${end}) lies within the map's ${limit} mappable bytes`,
    fail: `[${offset}, ${end}) goes past the map's ${limit} mappable bytes`,
  });
}

/** Everything `do_mmap` and `bpf_map_mmap` check, in their order, then the mapping. */
export function mmapMap(task: TaskImpl, fd: number, length: number, prot: number, flags: number, offset: number, onUnmap: (m: MemoryMapping) => void): MemoryMapping & { unmap(): void } {
  const core = task.core;
  if (!Number.isInteger(length) || length <= 0 || !Number.isInteger(offset) || offset < 0 || offset % PAGE_SIZE !== 0) {
    throw new BpfError('EINVAL', 'mmap:bad-range', `length ${length}, offset ${offset}: a positive length and a page-aligned offset are needed`);
  }
  const type = flags & 3;
  if (type !== MAP_SHARED && type !== MAP_PRIVATE) throw new BpfError('EINVAL', 'mmap:bad-flags', 'MAP_SHARED or MAP_PRIVATE is needed');
  const e = task.fdTable.get(fd);
  if (e === undefined || e.file.opath) throw new BpfError('EBADF', 'fd:not-open', `fd ${fd} is not open`);
  const file: KFile = e.file;
  const obj = file.payload.object;
  if (obj?.kind !== 'map') throw new BpfError('ENODEV', 'mmap:not-mappable-file', `fd ${fd} cannot be mapped`);
  const rec = obj.impl as MapRecord;
  // get_unmapped_area comes before the file mode checks: an arena's own rules on offset and size.
  const bpfArena = rec.live?.bpfArena;
  bpfArena?.checkMmap(pageAlign(length), offset / PAGE_SIZE);
  const acc = file.flags & 3;
  const writable = (prot & PROT_WRITE) !== 0;
  check(core, 'do_mmap:FMODE_READ', acc !== 1, 'EACCES', 'mmap:fd-not-readable', {
    pass: 'the fd is open for reading', fail: 'the fd is write-only (BPF_F_WRONLY): nothing can be mapped',
  });
  check(core, 'do_mmap:FMODE_WRITE', !(writable && type === MAP_SHARED && acc === 0), 'EACCES', 'mmap:fd-not-writable', {
    pass: writable ? 'the fd is open for writing' : 'a read-only mapping',
    fail: 'a shared writable mapping of a read-only fd (BPF_F_RDONLY)',
  });
  const region = rec.live?.mmapRegion;
  check(core, 'bpf_map_mmap:map_mmap', MMAP_TYPES.has(rec.info.mapType) && rec.fields.length === 0, 'ENOTSUPP', 'mmap:type-not-mappable', {
    pass: `map type ${rec.info.mapType} can be mapped`,
    fail: `map #${obj.id} cannot be mapped (no map_mmap for its type, or special fields in its value)`,
  });
  // do_mmap drops VM_SHARED from a shared mapping of a file not open for writing.
  const vmShared = type === MAP_SHARED && acc !== 0;
  check(core, 'bpf_map_mmap:VM_SHARED', vmShared, 'EINVAL', 'mmap:private', {
    pass: 'a shared mapping',
    fail: type === MAP_SHARED ? 'a read-only fd gives a mapping without VM_SHARED, which BPF maps refuse' : 'BPF maps can only be mapped MAP_SHARED',
  });
  if (writable) {
    check(core, 'bpf_map_mmap:frozen', !rec.frozen, 'EPERM', 'mmap:frozen', {
      pass: 'the map was never frozen', fail: `map #${obj.id} is frozen: no writable mapping`,
    });
    check(core, 'bpf_map_mmap:rdonly_prog', (rec.info.mapFlags & BPF_F_RDONLY_PROG) === 0, 'EACCES', 'mmap:rdonly-prog', {
      pass: 'the map is writable by programs', fail: `map #${obj.id} is BPF_F_RDONLY_PROG: no writable mapping`,
    });
  }
  if (bpfArena !== undefined) return arenaMapping(bpfArena, rec, file, length, prot, writable, onUnmap);
  typeMmapCheck(core, rec, writable, offset, length, region?.size ?? 0);
  if (region === undefined) throw new BpfError('EINVAL', 'mmap:no-region', `map #${obj.id} has no mappable memory in this kernel`);
  const arena = core.deps.arena;
  if (arena === undefined) throw new BpfError('ENOTSUPP', 'kernel:no-arena', 'no arena');
  const hold = new MappingHold(rec, file, writable);
  const base = region.addr + offset;
  const visible = Math.max(0, Math.min(length, mappableBytes(rec, region.size) - offset, region.size + (rec.info.mapType === M.BPF_MAP_TYPE_ARRAY ? 0 : rec.info.maxEntries) - offset));
  const inRange = (off: number, len: number): void => {
    if (!hold.live) throw new BpfError('EFAULT', 'mmap:unmapped', 'the mapping was unmapped');
    if (!Number.isInteger(off) || off < 0 || len < 0 || off + len > visible) {
      throw new BpfError('EFAULT', 'mmap:out-of-range', `[${off}, ${off + len}) is outside the ${visible} mapped bytes`);
    }
  };
  const mapping = {
    length,
    prot,
    get bytes(): Uint8Array {
      inRange(0, 0);
      const view = arena.bytes.subarray(base, base + visible);
      return writable ? view : view.slice();
    },
    read(off: number, len: number): Uint8Array {
      inRange(off, len);
      return arena.bytes.slice(base + off, base + off + len);
    },
    write(off: number, bytes: Uint8Array): void {
      inRange(off, bytes.length);
      if (!writable) throw new BpfError('EFAULT', 'mmap:read-only', 'a write through a read-only mapping');
      arena.bytes.set(bytes, base + off);
    },
    unmap(): void {
      hold.release(() => { onUnmap(mapping); });
    },
  };
  return mapping;
}
