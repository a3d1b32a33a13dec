import { ARENA_GUARD_BYTES } from '@bpfkit/kernel-api';
import type { InterpCode } from './code.js';
import { memoryFault } from './faults.js';
import type { Machine } from './machine.js';

const FETCH = 0x01;
const LOAD_ACQ = 0x100;
const STORE_REL = 0x110;

function read(view: DataView, a: number, size: number): number {
  return size === 1 ? view.getUint8(a) : size === 2 ? view.getUint16(a, true) : view.getInt32(a, true);
}

function write(view: DataView, a: number, size: number, v: number): void {
  if (size === 1) view.setUint8(a, v);
  else if (size === 2) view.setUint16(a, v, true);
  else view.setInt32(a, v, true);
}

/**
 * `BPF_STX | BPF_ATOMIC`: the read-modify-write operations on 4 or 8 bytes
 * (add/or/and/xor, with `BPF_FETCH` the old value into src; xchg; cmpxchg
 * against r0, the old value into r0; 32-bit forms zero-extend what they put
 * in a register), `load_acquire` (`dst = *(src + off)`) and `store_release`
 * (`*(dst + off) = src`) on 1–8 bytes. One engine thread, so every one is
 * simply atomic.
 *
 * @example
 * atomic(m, code, pc, 8); // `lock *(u64 *)(r1 +0) += r2` at pc
 */
export function atomic(m: Machine, code: InterpCode, pc: number, size: number): void {
  const r = m.r;
  const kind = code.imm[pc] ?? 0;
  const d = code.d2[pc] ?? 0;
  const s = code.s2[pc] ?? 0;
  const off = code.off[pc] ?? 0;
  const baseReg = kind === LOAD_ACQ ? s : d;
  const b = (r[baseReg] ?? 0) >>> 0;
  const h = r[baseReg + 1] ?? 0;
  const a = b + off;
  const view = m.view;
  if (h !== 0 || a < ARENA_GUARD_BYTES || a + size > view.byteLength || (code.checked && m.arena?.contains(a, size) !== true)) {
    memoryFault(pc, b, h, off, size, kind !== LOAD_ACQ);
  }
  if (kind === LOAD_ACQ) {
    r[d] = read(view, a, size);
    r[d + 1] = size === 8 ? view.getInt32(a + 4, true) : 0;
    return;
  }
  if (kind === STORE_REL) {
    write(view, a, size, r[s] ?? 0);
    if (size === 8) view.setInt32(a + 4, r[s + 1] ?? 0, true);
    return;
  }
  const oldLo = read(view, a, size);
  const oldHi = size === 8 ? view.getInt32(a + 4, true) : 0;
  const sl = r[s] ?? 0;
  const sh = size === 8 ? (r[s + 1] ?? 0) : 0;
  let nl: number;
  let nh: number;
  switch (kind & ~FETCH) {
    case 0x00: {
      const lo = (oldLo >>> 0) + (sl >>> 0);
      nl = lo | 0;
      nh = (oldHi + sh + (lo > 0xffffffff ? 1 : 0)) | 0;
      break;
    }
    case 0x40:
      nl = oldLo | sl;
      nh = oldHi | sh;
      break;
    case 0x50:
      nl = oldLo & sl;
      nh = oldHi & sh;
      break;
    case 0xa0:
      nl = oldLo ^ sl;
      nh = oldHi ^ sh;
      break;
    case 0xe0: // xchg
      nl = sl;
      nh = sh;
      break;
    default: {
      // cmpxchg: store src only if memory equals r0; r0 gets the old value either way.
      const equal = oldLo === (r[0] ?? 0) && (size === 4 || oldHi === (r[1] ?? 0));
      nl = equal ? sl : oldLo;
      nh = equal ? sh : oldHi;
      write(view, a, size, nl);
      if (size === 8) view.setInt32(a + 4, nh, true);
      r[0] = oldLo;
      r[1] = oldHi;
      return;
    }
  }
  write(view, a, size, nl);
  if (size === 8) view.setInt32(a + 4, nh, true);
  if ((kind & FETCH) !== 0) {
    r[s] = oldLo;
    r[s + 1] = oldHi;
  }
}
