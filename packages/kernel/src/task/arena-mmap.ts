import { BpfError, type BpfArenaOps, type MemoryMapping } from '@bpfkit/kernel-api';
import type { MapRecord } from '../bpf/map-record.js';
import type { KFile } from '../fs/file.js';
import { MappingHold } from './mapping-hold.js';

/**
 * `arena_map_mmap` and the mapping it gives: the arena's user range is bound (on the first
 * mapping without `map_extra`), and each page is faulted in on first touch (`arena_vm_fault`:
 * a zeroed page, or EFAULT for SIGSEGV with `BPF_F_SEGV_ON_FAULT` or a reserved page). The
 * mapping's `bytes` is a copy of the pages that exist (zeros elsewhere): an arena has no
 * contiguous backing to view.
 *
 * @example
 * arenaMapping(rec.live.bpfArena, rec, file, 4 * 4096, PROT_READ | PROT_WRITE, true, onUnmap).write(0, bytes);
 */
export function arenaMapping(arena: BpfArenaOps, rec: MapRecord, file: KFile, length: number, prot: number, writable: boolean,
  onUnmap: (m: MemoryMapping) => void): MemoryMapping & { unmap(): void } {
  const page = arena.pageSize;
  const mapped = Math.ceil(length / page) * page;
  arena.mmap(mapped);
  const hold = new MappingHold(rec, file, writable);
  const pageOf = (pgoff: number, off: number): Uint8Array => {
    const p = arena.userPage(pgoff);
    if (p === undefined) throw new BpfError('EFAULT', 'mmap:arena-fault', `SIGSEGV: arena page at offset ${off} cannot be faulted in`);
    return p;
  };
  const each = (off: number, len: number, fn: (p: Uint8Array, at: number, n: number, done: number) => void): void => {
    if (!hold.live) throw new BpfError('EFAULT', 'mmap:unmapped', 'the mapping was unmapped');
    if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len < 0 || off + len > mapped) {
      throw new BpfError('EFAULT', 'mmap:out-of-range', `[${off}, ${off + len}) is outside the ${mapped} mapped bytes`);
    }
    for (let done = 0; done < len;) {
      const at = (off + done) % page;
      const n = Math.min(len - done, page - at);
      fn(pageOf(Math.floor((off + done) / page), off + done), at, n, done);
      done += n;
    }
  };
  const mapping = {
    length,
    prot,
    get bytes(): Uint8Array {
      if (!hold.live) throw new BpfError('EFAULT', 'mmap:unmapped', 'the mapping was unmapped');
      const out = new Uint8Array(mapped);
      for (let pg = 0; pg * page < mapped; pg++) {
        const p = arena.load(Number(BigInt.asUintN(32, arena.userVmStart + BigInt(pg * page))), page);
        if (p !== undefined) out.set(p, pg * page);
      }
      return out;
    },
    read(off: number, len: number): Uint8Array {
      const out = new Uint8Array(len);
      each(off, len, (p, at, n, done) => { out.set(p.subarray(at, at + n), done); });
      return out;
    },
    write(off: number, bytes: Uint8Array): void {
      if (!writable) throw new BpfError('EFAULT', 'mmap:read-only', 'a write through a read-only mapping');
      each(off, bytes.length, (p, at, n, done) => { p.set(bytes.subarray(done, done + n), at); });
    },
    unmap(): void {
      hold.release(() => { onUnmap(mapping); });
    },
  };
  return mapping;
}
