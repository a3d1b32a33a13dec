import {
  boundsSync, copyBounds, knownBounds, mark32Unbounded, mark64Unbounded, S32_MAX, S32_MIN, S64_MAX, S64_MIN, unknownBoundsCopy,
  updateBounds, updateBounds32, updateBounds64, zext32To64, type Bounds,
} from './bounds.js';
import { ADD, AND, ARSH, foldConst, LSH, MUL, NEG, OR, RSH, SUB, XOR } from './alu.js';
import {
  tnumAdd, tnumAnd, tnumArshift, tnumConst, tnumIsConst, tnumLshift, tnumMul, tnumOr, tnumRshift, tnumSub, tnumSubreg, tnumXor, U32_MAX, U64_MAX,
} from './tnum.js';

const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const inS = (v: bigint, bits: 32 | 64): boolean => v === BigInt.asIntN(bits, v);

function add32(d: Bounds, s: Bounds): void {
  const smin = d.s32min + s.s32min, smax = d.s32max + s.s32max;
  if (inS(smin, 32) && inS(smax, 32)) { d.s32min = smin; d.s32max = smax; } else { d.s32min = S32_MIN; d.s32max = S32_MAX; }
  const umin = d.u32min + s.u32min, umax = d.u32max + s.u32max;
  if (umin <= U32_MAX && umax <= U32_MAX) { d.u32min = umin; d.u32max = umax; } else { d.u32min = 0n; d.u32max = U32_MAX; }
}

function add64(d: Bounds, s: Bounds): void {
  const smin = d.smin + s.smin, smax = d.smax + s.smax;
  if (inS(smin, 64) && inS(smax, 64)) { d.smin = smin; d.smax = smax; } else { d.smin = S64_MIN; d.smax = S64_MAX; }
  const umin = d.umin + s.umin, umax = d.umax + s.umax;
  if (umin <= U64_MAX && umax <= U64_MAX) { d.umin = umin; d.umax = umax; } else { d.umin = 0n; d.umax = U64_MAX; }
}

function sub32(d: Bounds, s: Bounds): void {
  const smin = d.s32min - s.s32max, smax = d.s32max - s.s32min;
  if (inS(smin, 32) && inS(smax, 32)) { d.s32min = smin; d.s32max = smax; } else { d.s32min = S32_MIN; d.s32max = S32_MAX; }
  if (d.u32min < s.u32max) { d.u32min = 0n; d.u32max = U32_MAX; } else { d.u32min -= s.u32max; d.u32max -= s.u32min; }
}

function sub64(d: Bounds, s: Bounds): void {
  const smin = d.smin - s.smax, smax = d.smax - s.smin;
  if (inS(smin, 64) && inS(smax, 64)) { d.smin = smin; d.smax = smax; } else { d.smin = S64_MIN; d.smax = S64_MAX; }
  if (d.umin < s.umax) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin -= s.umax; d.umax -= s.umin; }
}

function mul32(d: Bounds, s: Bounds): void {
  const umin = d.u32min * s.u32min, umax = d.u32max * s.u32max;
  if (umax <= U32_MAX) { d.u32min = umin; d.u32max = umax; } else { d.u32min = 0n; d.u32max = U32_MAX; }
  const p = [d.s32min * s.s32min, d.s32min * s.s32max, d.s32max * s.s32min, d.s32max * s.s32max];
  if (p.every((x) => inS(x, 32))) { d.s32min = p.reduce(min); d.s32max = p.reduce(max); } else { d.s32min = S32_MIN; d.s32max = S32_MAX; }
}

function mul64(d: Bounds, s: Bounds): void {
  const umin = d.umin * s.umin, umax = d.umax * s.umax;
  if (umax <= U64_MAX) { d.umin = umin; d.umax = umax; } else { d.umin = 0n; d.umax = U64_MAX; }
  const p = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
  if (p.every((x) => inS(x, 64))) { d.smin = p.reduce(min); d.smax = p.reduce(max); } else { d.smin = S64_MIN; d.smax = S64_MAX; }
}

/** AND/OR/XOR share the tail: unsigned bounds from the known bits, signed ones when the range does not cross the sign. */
function bitwise32(d: Bounds, s: Bounds, o: number): void {
  const v = tnumSubreg(d.varOff);
  if (tnumIsConst(v) && tnumIsConst(tnumSubreg(s.varOff))) {
    const k = knownBounds(v.value);
    d.s32min = k.s32min; d.s32max = k.s32max; d.u32min = k.u32min; d.u32max = k.u32max;
    return;
  }
  if (o === AND) { d.u32min = v.value; d.u32max = min(d.u32max, s.u32max); }
  else if (o === OR) { d.u32min = max(d.u32min, s.u32min); d.u32max = v.value | v.mask; }
  else { d.u32min = v.value; d.u32max = v.value | v.mask; }
  if (s32(d.u32min) <= s32(d.u32max)) { d.s32min = s32(d.u32min); d.s32max = s32(d.u32max); } else { d.s32min = S32_MIN; d.s32max = S32_MAX; }
}

function bitwise64(d: Bounds, s: Bounds, o: number): void {
  const v = d.varOff;
  if (tnumIsConst(v) && tnumIsConst(s.varOff)) {
    Object.assign(d, { ...knownBounds(v.value), s32min: d.s32min, s32max: d.s32max, u32min: d.u32min, u32max: d.u32max });
    return;
  }
  if (o === AND) { d.umin = v.value; d.umax = min(d.umax, s.umax); }
  else if (o === OR) { d.umin = max(d.umin, s.umin); d.umax = v.value | v.mask; }
  else { d.umin = v.value; d.umax = v.value | v.mask; }
  if (s64(d.umin) <= s64(d.umax)) { d.smin = s64(d.umin); d.smax = s64(d.umax); } else { d.smin = S64_MIN; d.smax = S64_MAX; }
  updateBounds(d);
}

function lsh32(d: Bounds, shift: number): void {
  const sh = BigInt(shift);
  d.s32min = S32_MIN; d.s32max = S32_MAX;
  if (shift > 0 && d.u32max >> (32n - sh) !== 0n) { d.u32min = 0n; d.u32max = U32_MAX; }
  else { d.u32min <<= sh; d.u32max <<= sh; }
  d.varOff = tnumSubreg(tnumLshift(tnumSubreg(d.varOff), shift));
  updateBounds32(d);
}

function lsh64(d: Bounds, shift: number): void {
  const sh = BigInt(shift);
  // `<< 32` is how compilers start sign-extending a subregister: the s32 bounds, shifted, are the s64 ones.
  d.smax = shift === 32 ? d.s32max << 32n : S64_MAX;
  d.smin = shift === 32 ? d.s32min << 32n : S64_MIN;
  if (shift > 0 && d.umax >> (64n - sh) !== 0n) { d.umin = 0n; d.umax = U64_MAX; }
  else { d.umin = (d.umin << sh) & U64_MAX; d.umax = (d.umax << sh) & U64_MAX; }
  d.varOff = tnumLshift(d.varOff, shift);
  mark32Unbounded(d);
  updateBounds(d);
}

function rsh32(d: Bounds, shift: number): void {
  const sh = BigInt(shift);
  d.s32min = S32_MIN; d.s32max = S32_MAX;
  d.varOff = tnumRshift(tnumSubreg(d.varOff), shift);
  d.u32min >>= sh; d.u32max >>= sh;
  updateBounds32(d);
}

function rsh64(d: Bounds, shift: number): void {
  const sh = BigInt(shift);
  d.smin = S64_MIN; d.smax = S64_MAX;
  d.varOff = tnumRshift(d.varOff, shift);
  d.umin >>= sh; d.umax >>= sh;
  mark32Unbounded(d);
  updateBounds(d);
}

function arsh32(d: Bounds, shift: number): void {
  const sh = BigInt(shift);
  d.s32min >>= sh; d.s32max >>= sh;
  d.varOff = tnumArshift(tnumSubreg(d.varOff), shift, 32);
  d.u32min = 0n; d.u32max = U32_MAX;
  updateBounds32(d);
}

function arsh64(d: Bounds, shift: number): void {
  const sh = BigInt(shift);
  d.smin >>= sh; d.smax >>= sh;
  d.varOff = tnumArshift(d.varOff, shift, 64);
  d.umin = 0n; d.umax = U64_MAX;
  mark32Unbounded(d);
  updateBounds(d);
}

/**
 * `reg += k` for a known `k` without a bounds sync (what `sync_linked_regs` does to a linked copy):
 * both ranges and the known bits, the caller syncing after any zero-extension.
 */
export function addConstBounds(d: Bounds, k: bigint): void {
  const s = knownBounds(k);
  add32(d, s);
  add64(d, s);
  d.varOff = tnumAdd(d.varOff, s.varOff);
}

/** `is_safe_to_compute_dst_reg_range`. */
function safeToCompute(o: number, src: Bounds, alu32: boolean): boolean {
  switch (o) {
    case ADD: case SUB: case NEG: case AND: case XOR: case OR: case MUL:
      return true;
    case LSH: case RSH: case ARSH: {
      const known = tnumIsConst(alu32 ? tnumSubreg(src.varOff) : src.varOff);
      return known && (alu32 ? src.u32max : src.umax) < (alu32 ? 32n : 64n);
    }
    default:
      return false;
  }
}

/**
 * `adjust_scalar_min_max_vals`: the known bits and ranges of `dst op src` (ALU32 results zero-extended).
 * DIV, MOD and shifts by an unknown amount give an unknown value, in all 64 bits.
 */
export function adjustScalarMinMaxVals(dst: Bounds, src: Bounds, o: number, alu32: boolean): Bounds {
  // Two constants give the constant of the folded operation: every range holds it and `reg_bounds_sync`
  // collapses them to it (what the test suite checks against the step-by-step path below).
  if (FOLDABLE.has(o) && isKnown(dst) && isKnown(src) && safeToCompute(o, src, alu32)) {
    return knownBounds(foldConst(o, dst.varOff.value, src.varOff.value, !alu32, false, 0, false));
  }
  return adjustScalarMinMaxValsFull(dst, src, o, alu32);
}

const FOLDABLE: ReadonlySet<number> = new Set([ADD, SUB, NEG, MUL, AND, OR, XOR, LSH, RSH, ARSH]);

/** The bounds are exactly those of a constant (`__mark_reg_known`): known bits and every range collapsed to the value. */
function isKnown(b: Bounds): boolean {
  const t = b.varOff;
  if (t.mask !== 0n) return false;
  const v = t.value;
  if (b.umin !== v || b.umax !== v) return false;
  if (v <= S32_MAX) return b.smin === v && b.smax === v && b.s32min === v && b.s32max === v && b.u32min === v && b.u32max === v;
  const k = knownBounds(v);
  return b.smin === k.smin && b.smax === k.smax && b.s32min === k.s32min && b.s32max === k.s32max && b.u32min === k.u32min && b.u32max === k.u32max;
}

/** {@link adjustScalarMinMaxVals} step by step, as the kernel runs it (what its constant folding must equal). */
export function adjustScalarMinMaxValsFull(dst: Bounds, src: Bounds, o: number, alu32: boolean): Bounds {
  const d = copyBounds(dst);
  const srcInvalid = src.smin > src.smax || src.umin > src.umax || src.s32min > src.s32max || src.u32min > src.u32max;
  // Not computable (DIV, MOD, a shift by an unknown or too large amount): unknown in all 64 bits, an
  // ALU32 result too (the kernel returns before zero-extending it).
  if (srcInvalid || !safeToCompute(o, src, alu32)) return unknownBoundsCopy();
  const shift = Number(alu32 ? src.u32min : src.umin);
  switch (o) {
    case ADD: add32(d, src); add64(d, src); d.varOff = tnumAdd(d.varOff, src.varOff); break;
    case SUB: sub32(d, src); sub64(d, src); d.varOff = tnumSub(d.varOff, src.varOff); break;
    case NEG: {
      const z = knownBounds(0n);
      sub32(z, dst); sub64(z, dst);
      z.varOff = tnumSub(tnumConst(0n), dst.varOff);
      Object.assign(d, z);
      break;
    }
    case MUL: d.varOff = tnumMul(d.varOff, src.varOff); mul32(d, src); mul64(d, src); break;
    case AND: d.varOff = tnumAnd(d.varOff, src.varOff); bitwise32(d, src, AND); bitwise64(d, src, AND); break;
    case OR: d.varOff = tnumOr(d.varOff, src.varOff); bitwise32(d, src, OR); bitwise64(d, src, OR); break;
    case XOR: d.varOff = tnumXor(d.varOff, src.varOff); bitwise32(d, src, XOR); bitwise64(d, src, XOR); break;
    case LSH: if (alu32) lsh32(d, shift); else lsh64(d, shift); break;
    case RSH: if (alu32) rsh32(d, shift); else rsh64(d, shift); break;
    case ARSH: if (alu32) arsh32(d, shift); else arsh64(d, shift); break;
    default: break;
  }
  if (alu32) zext32To64(d);
  boundsSync(d);
  return d;
}

export { mark64Unbounded, updateBounds64 };
