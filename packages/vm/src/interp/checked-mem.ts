import { ARENA_GUARD_BYTES } from '@bpfkit/kernel-api';
import type { InterpCode } from './code.js';
import { memoryFault } from './faults.js';
import type { Machine } from './machine.js';

/**
 * Loads and stores of unverified programs (`LDX`, `ST`, `STX` with `MEM` or
 * `MEMSX`): the same as the hot loop's, but every access must lie inside a
 * live arena allocation (`VmArena.contains`), not just inside the arena.
 * Kept out of the hot loop so that verified programs do not pay for the test.
 *
 * @example
 * checkedMemory(m, code, pc); // `r0 = *(u32 *)(r1 +4)` of an unverified image
 */
export function checkedMemory(m: Machine, code: InterpCode, pc: number): void {
  const r = m.r;
  const op = code.decoded.code[pc] ?? 0;
  const cls = op & 0x07;
  const sz = op & 0x18;
  const size = sz === 0x10 ? 1 : sz === 0x08 ? 2 : sz === 0x00 ? 4 : 8;
  const d = (code.decoded.dst[pc] ?? 0) * 2;
  const s = (code.decoded.src[pc] ?? 0) * 2;
  const off = code.decoded.off[pc] ?? 0;
  const base = cls === 0x01 ? s : d;
  const b = (r[base] ?? 0) >>> 0;
  const h = r[base + 1] ?? 0;
  const a = b + off;
  const view = m.view;
  if (h !== 0 || a < ARENA_GUARD_BYTES || a + size > view.byteLength || m.arena?.contains(a, size) !== true) {
    memoryFault(pc, b, h, off, size, cls !== 0x01);
  }
  if (cls === 0x01) {
    loadInto(r, d, view, a, size, (op & 0xe0) === 0x80);
    return;
  }
  const imm = code.decoded.imm[pc] ?? 0;
  const lo = cls === 0x03 ? (r[s] ?? 0) : imm;
  const hi = cls === 0x03 ? (r[s + 1] ?? 0) : imm >> 31;
  if (size === 1) view.setUint8(a, lo & 0xff);
  else if (size === 2) view.setUint16(a, lo & 0xffff, true);
  else view.setInt32(a, lo, true);
  if (size === 8) view.setInt32(a + 4, hi, true);
}

/** A load of `size` bytes at `a` into register pair `d` (zero- or, `signed`, sign-extended to 64 bits). */
export function loadInto(r: Int32Array, d: number, view: DataView, a: number, size: number, signed: boolean): void {
  let lo: number;
  let hi = 0;
  if (size === 1) lo = signed ? view.getInt8(a) : view.getUint8(a);
  else if (size === 2) lo = signed ? view.getInt16(a, true) : view.getUint16(a, true);
  else lo = view.getInt32(a, true);
  if (size === 8) hi = view.getInt32(a + 4, true);
  else if (signed) hi = lo >> 31;
  r[d] = lo;
  r[d + 1] = hi;
}
