import { ARENA_GUARD_BYTES } from '@bpfkit/kernel-api';
import { loadInto } from './checked-mem.js';
import type { InterpCode } from './code.js';
import type { Machine } from './machine.js';

/**
 * `BPF_PROBE_MEM` / `BPF_PROBE_MEMSX`: a load through a pointer the kernel cannot vouch for (an
 * untrusted BTF pointer). Where nothing is mapped the kernel's exception table makes it read 0,
 * and so does this: the destination gets 0 and the program goes on.
 *
 * @example
 * probeMemory(m, code, pc); // `r1 = *(u64 *)(r1 +1264)` through task->real_parent
 */
export function probeMemory(m: Machine, code: InterpCode, pc: number): void {
  const r = m.r;
  const op = code.decoded.code[pc] ?? 0;
  const sz = op & 0x18;
  const size = sz === 0x10 ? 1 : sz === 0x08 ? 2 : sz === 0x00 ? 4 : 8;
  const signed = (op & 0xe0) === 0x40;
  const d = (code.decoded.dst[pc] ?? 0) * 2;
  const s = (code.decoded.src[pc] ?? 0) * 2;
  const b = (r[s] ?? 0) >>> 0;
  const h = r[s + 1] ?? 0;
  const a = b + (code.decoded.off[pc] ?? 0);
  const view = m.view;
  if (h !== 0 || a < ARENA_GUARD_BYTES || a + size > view.byteLength) {
    r[d] = 0;
    r[d + 1] = 0;
    return;
  }
  loadInto(r, d, view, a, size, signed);
}
