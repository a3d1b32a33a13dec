import type { Bounds } from './bounds.js';

/*
 * `reg_bounds_sync` on plain numbers. Every 64-bit value is held as two uint32 halves (its two's
 * complement bits: signed and unsigned views differ only in how they compare), every 32-bit one as a
 * number. The deductions are comparisons, masks and min/max only, so they need no BigInt: the
 * bigint fields are split once on the way in and rebuilt on the way out (only those that changed).
 * Module-level scratch registers: nothing is allocated but the results.
 */

const TWO32 = 4294967296;
const TWO53 = 9007199254740992;
/** Largest high half whose value `hi * 2^32 + lo` is still a safe integer. */
const SAFE_HI = 0x200000;

let uminH = 0, uminL = 0, umaxH = 0, umaxL = 0;
let sminH = 0, sminL = 0, smaxH = 0, smaxL = 0;
let vH = 0, vL = 0, mH = 0, mL = 0;
let s32min = 0, s32max = 0, u32min = 0, u32max = 0;
/** Output of the splitters (a pair without an object). */
let outH = 0, outL = 0;

const U64_LIMIT = 1n << 64n;
const S64_LOW = -(1n << 63n);
const S64_HIGH = 1n << 63n;

/** Splits a u64 bigint into `outH`/`outL`; false when it is not one. */
function splitU64(v: bigint): boolean {
  const n = Number(v);
  if (n >= 0 && n < TWO53) {
    outL = n >>> 0;
    outH = (n - outL) / TWO32;
    return true;
  }
  if (v < 0n || v >= U64_LIMIT) return false;
  outL = Number(v & 0xffffffffn);
  outH = Number(v >> 32n);
  return true;
}

/** Splits an s64 bigint into the halves of its bits; false when it is not one. */
function splitS64(v: bigint): boolean {
  const n = Number(v);
  if (n > -TWO53 && n < TWO53) {
    outL = n >>> 0;
    outH = ((n - outL) / TWO32) >>> 0;
    return true;
  }
  if (v < S64_LOW || v >= S64_HIGH) return false;
  outL = Number(v & 0xffffffffn);
  outH = Number(BigInt.asUintN(32, v >> 32n));
  return true;
}

function joinU64(h: number, l: number): bigint {
  return h < SAFE_HI ? BigInt(h * TWO32 + l) : (BigInt(h) << 32n) | BigInt(l);
}

function joinS64(h: number, l: number): bigint {
  const sh = h | 0;
  return sh < SAFE_HI && sh >= -SAFE_HI ? BigInt(sh * TWO32 + l) : (BigInt(sh) << 32n) + BigInt(l);
}

/** a < b, unsigned 64-bit. */
function ult(aH: number, aL: number, bH: number, bL: number): boolean {
  return aH < bH || (aH === bH && aL < bL);
}

/** a < b, signed 64-bit. */
function slt(aH: number, aL: number, bH: number, bL: number): boolean {
  const sa = aH | 0, sb = bH | 0;
  return sa < sb || (sa === sb && aL < bL);
}

function raiseUmin(h: number, l: number): void {
  if (ult(uminH, uminL, h, l)) { uminH = h; uminL = l; }
}
function lowerUmax(h: number, l: number): void {
  if (ult(h, l, umaxH, umaxL)) { umaxH = h; umaxL = l; }
}
function raiseSmin(h: number, l: number): void {
  if (slt(sminH, sminL, h, l)) { sminH = h; sminL = l; }
}
function lowerSmax(h: number, l: number): void {
  if (slt(h, l, smaxH, smaxL)) { smaxH = h; smaxL = l; }
}

/** `__update_reg32_bounds` and `__update_reg64_bounds`. */
function updateBounds(): void {
  const s32lo = (vL | (mL & 0x80000000)) | 0;
  const s32hi = (vL | (mL & 0x7fffffff)) | 0;
  if (s32lo > s32min) s32min = s32lo;
  if (s32hi < s32max) s32max = s32hi;
  if (vL > u32min) u32min = vL;
  const top32 = (vL | mL) >>> 0;
  if (top32 < u32max) u32max = top32;
  raiseSmin((vH | (mH & 0x80000000)) >>> 0, vL);
  lowerSmax((vH | (mH & 0x7fffffff)) >>> 0, (vL | mL) >>> 0);
  raiseUmin(vH, vL);
  lowerUmax((vH | mH) >>> 0, (vL | mL) >>> 0);
}

function narrowS32(lo: number, hi: number): void {
  if (lo > s32min) s32min = lo;
  if (hi < s32max) s32max = hi;
}

/** `__reg32_deduce_bounds`. */
function deduce32(): void {
  if (uminH === umaxH) {
    if (uminL > u32min) u32min = uminL;
    if (umaxL < u32max) u32max = umaxL;
    if ((uminL | 0) <= (umaxL | 0)) narrowS32(uminL | 0, umaxL | 0);
  }
  if (sminH === smaxH) {
    if (sminL > u32min) u32min = sminL;
    if (smaxL < u32max) u32max = smaxL;
    if ((sminL | 0) <= (smaxL | 0)) narrowS32(sminL | 0, smaxL | 0);
  }
  if (((uminH + 1) >>> 0) === umaxH && (uminL | 0) < 0 && (umaxL | 0) >= 0) narrowS32(uminL | 0, umaxL | 0);
  if (((sminH + 1) >>> 0) === smaxH && (sminL | 0) < 0 && (smaxL | 0) >= 0) narrowS32(sminL | 0, smaxL | 0);
  if ((u32min | 0) <= (u32max | 0)) narrowS32(u32min | 0, u32max | 0);
  const us32min = s32min >>> 0, us32max = s32max >>> 0;
  if (us32min <= us32max) {
    if (us32min > u32min) u32min = us32min;
    if (us32max < u32max) u32max = us32max;
  } else if (u32max < us32min) {
    s32min = u32min | 0;
    if (us32max < u32max) u32max = us32max;
  } else if (us32max < u32min) {
    s32max = u32max | 0;
    if (us32min > u32min) u32min = us32min;
  }
}

/** `__reg64_deduce_bounds`. */
function deduce64(): void {
  if (!slt(umaxH, umaxL, uminH, uminL)) {
    raiseSmin(uminH, uminL);
    lowerSmax(umaxH, umaxL);
  }
  if (!ult(smaxH, smaxL, sminH, sminL)) {
    raiseUmin(sminH, sminL);
    lowerUmax(smaxH, smaxL);
  } else if (ult(umaxH, umaxL, sminH, sminL)) {
    sminH = uminH; sminL = uminL;
    lowerUmax(smaxH, smaxL);
  } else if (ult(smaxH, smaxL, uminH, uminL)) {
    smaxH = umaxH; smaxL = umaxL;
    raiseUmin(sminH, sminL);
  }
}

/** `tnum_intersect(var_off, tnum_range(min, max))` into `vH..mL`, for a 64-bit range. */
function intersectRange64(minH: number, minL: number, maxH: number, maxL: number): void {
  const chiH = (minH ^ maxH) >>> 0, chiL = (minL ^ maxL) >>> 0;
  let dH: number, dL: number;
  if (chiH !== 0) {
    // fls64(chi) = 64 gives the unknown tnum: every bit in the mask, as this does.
    dH = (0xffffffff >>> Math.clz32(chiH)) >>> 0;
    dL = 0xffffffff;
  } else {
    dH = 0;
    dL = chiL === 0 ? 0 : (0xffffffff >>> Math.clz32(chiL)) >>> 0;
  }
  const rvH = (minH & ~dH) >>> 0, rvL = (minL & ~dL) >>> 0;
  const uH = (vH | rvH) >>> 0, uL = (vL | rvL) >>> 0;
  mH = (mH & dH) >>> 0;
  mL = (mL & dL) >>> 0;
  vH = (uH & ~mH) >>> 0;
  vL = (uL & ~mL) >>> 0;
}

/**
 * `__reg_deduce_mixed_bounds`. False when its narrowing to the s32 range would write a negative
 * 32-bit bound into the unsigned ones (only a contradictory range does): that case is left to the
 * step-by-step version.
 */
function deduceMixed(): boolean {
  raiseUmin(uminH, u32min);
  lowerUmax(umaxH, u32max);
  raiseSmin(sminH, u32min);
  lowerSmax(smaxH, u32max);
  // smin >= S32_MIN and smax <= S32_MAX, as s64.
  if (s32min >= 0 && !slt(sminH, sminL, 0xffffffff, 0x80000000) && !slt(0, 0x7fffffff, smaxH, smaxL)) {
    if (s32max < 0) return false;
    sminH = 0; sminL = s32min; smaxH = 0; smaxL = s32max;
    uminH = 0; uminL = s32min; umaxH = 0; umaxL = s32max;
    intersectRange64(0, s32min, 0, s32max);
  }
  return true;
}

/** `__reg_bound_offset`. */
function boundOffset(): void {
  intersectRange64(uminH, uminL, umaxH, umaxL);
  // The low half meets the u32 range; the high half stays.
  const chi = (u32min ^ u32max) >>> 0;
  const d = chi === 0 ? 0 : (0xffffffff >>> Math.clz32(chi)) >>> 0;
  const rv = (u32min & ~d) >>> 0;
  const v = (vL | rv) >>> 0;
  mL = (mL & d) >>> 0;
  vL = (v & ~mL) >>> 0;
}

/**
 * `reg_bounds_sync` of `b` in number halves, written back into `b`. False, with `b` untouched, when a
 * field is out of its type's range or the ranges contradict each other in a way the step-by-step
 * version treats specially: the caller then runs that.
 */
export function boundsSyncHalves(b: Bounds): boolean {
  if (!splitU64(b.umin)) return false;
  const umin0H = outH, umin0L = outL;
  if (!splitU64(b.umax)) return false;
  const umax0H = outH, umax0L = outL;
  if (!splitS64(b.smin)) return false;
  const smin0H = outH, smin0L = outL;
  if (!splitS64(b.smax)) return false;
  const smax0H = outH, smax0L = outL;
  if (!splitU64(b.varOff.value)) return false;
  const v0H = outH, v0L = outL;
  if (!splitU64(b.varOff.mask)) return false;
  const m0H = outH, m0L = outL;
  const s32min0 = Number(b.s32min), s32max0 = Number(b.s32max), u32min0 = Number(b.u32min), u32max0 = Number(b.u32max);
  if ((s32min0 | 0) !== s32min0 || (s32max0 | 0) !== s32max0 || u32min0 >>> 0 !== u32min0 || u32max0 >>> 0 !== u32max0) return false;
  uminH = umin0H; uminL = umin0L; umaxH = umax0H; umaxL = umax0L;
  sminH = smin0H; sminL = smin0L; smaxH = smax0H; smaxL = smax0L;
  vH = v0H; vL = v0L; mH = m0H; mL = m0L;
  s32min = s32min0; s32max = s32max0; u32min = u32min0; u32max = u32max0;

  updateBounds();
  deduce32();
  deduce64();
  if (!deduceMixed()) return false;
  deduce32();
  deduce64();
  if (!deduceMixed()) return false;
  boundOffset();
  updateBounds();

  if (uminH !== umin0H || uminL !== umin0L) b.umin = joinU64(uminH, uminL);
  if (umaxH !== umax0H || umaxL !== umax0L) b.umax = joinU64(umaxH, umaxL);
  if (sminH !== smin0H || sminL !== smin0L) b.smin = joinS64(sminH, sminL);
  if (smaxH !== smax0H || smaxL !== smax0L) b.smax = joinS64(smaxH, smaxL);
  if (vH !== v0H || vL !== v0L || mH !== m0H || mL !== m0L) b.varOff = { value: joinU64(vH, vL), mask: joinU64(mH, mL) };
  if (s32min !== s32min0) b.s32min = BigInt(s32min);
  if (s32max !== s32max0) b.s32max = BigInt(s32max);
  if (u32min !== u32min0) b.u32min = BigInt(u32min);
  if (u32max !== u32max0) b.u32max = BigInt(u32max);
  return true;
}
