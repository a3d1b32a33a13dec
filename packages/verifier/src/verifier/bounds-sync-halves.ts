import type { Bounds } from './bounds.js';

/*
 * `reg_bounds_sync` on plain numbers. Every 64-bit value is held as two uint32 halves (its two's
 * complement bits: signed and unsigned views differ only in how they compare), every 32-bit one as a
 * number. The deductions are comparisons, masks and min/max only, so they need no BigInt: the
 * bigint fields are split once on the way in and rebuilt on the way out (only those that changed).
 * Scratch registers in one object: nothing is allocated but the results.
 */

const TWO32 = 4294967296;
const TWO53 = 9007199254740992;
/** Largest high half whose value `hi * 2^32 + lo` is still a safe integer. */
const SAFE_HI = 0x200000;

/**
 * The scratch registers, fields of one object: a module-level `let` holding a number outside the
 * small-integer range is a heap number, allocated anew at every store; an object's number field is
 * updated in place. `outH`/`outL` are the splitters' output (a pair without an object).
 */
const regs = {
  uminH: 0, uminL: 0, umaxH: 0, umaxL: 0,
  sminH: 0, sminL: 0, smaxH: 0, smaxL: 0,
  vH: 0, vL: 0, mH: 0, mL: 0,
  s32min: 0, s32max: 0, u32min: 0, u32max: 0,
  outH: 0, outL: 0,
};

const U64_LIMIT = 1n << 64n;
const S64_LOW = -(1n << 63n);
const S64_HIGH = 1n << 63n;

/** Splits a u64 bigint into `regs.outH`/`regs.outL`; false when it is not one. */
function splitU64(v: bigint): boolean {
  const n = Number(v);
  if (n >= 0 && n < TWO53) {
    regs.outL = n >>> 0;
    regs.outH = (n - regs.outL) / TWO32;
    return true;
  }
  if (v < 0n || v >= U64_LIMIT) return false;
  regs.outL = Number(v & 0xffffffffn);
  regs.outH = Number(v >> 32n);
  return true;
}

/** Splits an s64 bigint into the halves of its bits; false when it is not one. */
function splitS64(v: bigint): boolean {
  const n = Number(v);
  if (n > -TWO53 && n < TWO53) {
    regs.outL = n >>> 0;
    regs.outH = ((n - regs.outL) / TWO32) >>> 0;
    return true;
  }
  if (v < S64_LOW || v >= S64_HIGH) return false;
  regs.outL = Number(v & 0xffffffffn);
  regs.outH = Number(BigInt.asUintN(32, v >> 32n));
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
  if (ult(regs.uminH, regs.uminL, h, l)) { regs.uminH = h; regs.uminL = l; }
}
function lowerUmax(h: number, l: number): void {
  if (ult(h, l, regs.umaxH, regs.umaxL)) { regs.umaxH = h; regs.umaxL = l; }
}
function raiseSmin(h: number, l: number): void {
  if (slt(regs.sminH, regs.sminL, h, l)) { regs.sminH = h; regs.sminL = l; }
}
function lowerSmax(h: number, l: number): void {
  if (slt(h, l, regs.smaxH, regs.smaxL)) { regs.smaxH = h; regs.smaxL = l; }
}

/** `__update_reg32_bounds` and `__update_reg64_bounds`. */
function updateBounds(): void {
  const s32lo = (regs.vL | (regs.mL & 0x80000000)) | 0;
  const s32hi = (regs.vL | (regs.mL & 0x7fffffff)) | 0;
  if (s32lo > regs.s32min) regs.s32min = s32lo;
  if (s32hi < regs.s32max) regs.s32max = s32hi;
  if (regs.vL > regs.u32min) regs.u32min = regs.vL;
  const top32 = (regs.vL | regs.mL) >>> 0;
  if (top32 < regs.u32max) regs.u32max = top32;
  raiseSmin((regs.vH | (regs.mH & 0x80000000)) >>> 0, regs.vL);
  lowerSmax((regs.vH | (regs.mH & 0x7fffffff)) >>> 0, (regs.vL | regs.mL) >>> 0);
  raiseUmin(regs.vH, regs.vL);
  lowerUmax((regs.vH | regs.mH) >>> 0, (regs.vL | regs.mL) >>> 0);
}

function narrowS32(lo: number, hi: number): void {
  if (lo > regs.s32min) regs.s32min = lo;
  if (hi < regs.s32max) regs.s32max = hi;
}

/** `__reg32_deduce_bounds`. */
function deduce32(): void {
  if (regs.uminH === regs.umaxH) {
    if (regs.uminL > regs.u32min) regs.u32min = regs.uminL;
    if (regs.umaxL < regs.u32max) regs.u32max = regs.umaxL;
    if ((regs.uminL | 0) <= (regs.umaxL | 0)) narrowS32(regs.uminL | 0, regs.umaxL | 0);
  }
  if (regs.sminH === regs.smaxH) {
    if (regs.sminL > regs.u32min) regs.u32min = regs.sminL;
    if (regs.smaxL < regs.u32max) regs.u32max = regs.smaxL;
    if ((regs.sminL | 0) <= (regs.smaxL | 0)) narrowS32(regs.sminL | 0, regs.smaxL | 0);
  }
  if (((regs.uminH + 1) >>> 0) === regs.umaxH && (regs.uminL | 0) < 0 && (regs.umaxL | 0) >= 0) narrowS32(regs.uminL | 0, regs.umaxL | 0);
  if (((regs.sminH + 1) >>> 0) === regs.smaxH && (regs.sminL | 0) < 0 && (regs.smaxL | 0) >= 0) narrowS32(regs.sminL | 0, regs.smaxL | 0);
  if ((regs.u32min | 0) <= (regs.u32max | 0)) narrowS32(regs.u32min | 0, regs.u32max | 0);
  const us32min = regs.s32min >>> 0, us32max = regs.s32max >>> 0;
  if (us32min <= us32max) {
    if (us32min > regs.u32min) regs.u32min = us32min;
    if (us32max < regs.u32max) regs.u32max = us32max;
  } else if (regs.u32max < us32min) {
    regs.s32min = regs.u32min | 0;
    if (us32max < regs.u32max) regs.u32max = us32max;
  } else if (us32max < regs.u32min) {
    regs.s32max = regs.u32max | 0;
    if (us32min > regs.u32min) regs.u32min = us32min;
  }
}

/** `__reg64_deduce_bounds`. */
function deduce64(): void {
  if (!slt(regs.umaxH, regs.umaxL, regs.uminH, regs.uminL)) {
    raiseSmin(regs.uminH, regs.uminL);
    lowerSmax(regs.umaxH, regs.umaxL);
  }
  if (!ult(regs.smaxH, regs.smaxL, regs.sminH, regs.sminL)) {
    raiseUmin(regs.sminH, regs.sminL);
    lowerUmax(regs.smaxH, regs.smaxL);
  } else if (ult(regs.umaxH, regs.umaxL, regs.sminH, regs.sminL)) {
    regs.sminH = regs.uminH; regs.sminL = regs.uminL;
    lowerUmax(regs.smaxH, regs.smaxL);
  } else if (ult(regs.smaxH, regs.smaxL, regs.uminH, regs.uminL)) {
    regs.smaxH = regs.umaxH; regs.smaxL = regs.umaxL;
    raiseUmin(regs.sminH, regs.sminL);
  }
}

/** `tnum_intersect(var_off, tnum_range(min, max))` into `regs.vH..mL`, for a 64-bit range. */
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
  const uH = (regs.vH | rvH) >>> 0, uL = (regs.vL | rvL) >>> 0;
  regs.mH = (regs.mH & dH) >>> 0;
  regs.mL = (regs.mL & dL) >>> 0;
  regs.vH = (uH & ~regs.mH) >>> 0;
  regs.vL = (uL & ~regs.mL) >>> 0;
}

/**
 * `__reg_deduce_mixed_bounds`. False when its narrowing to the s32 range would write a negative
 * 32-bit bound into the unsigned ones (only a contradictory range does): that case is left to the
 * step-by-step version.
 */
function deduceMixed(): boolean {
  raiseUmin(regs.uminH, regs.u32min);
  lowerUmax(regs.umaxH, regs.u32max);
  raiseSmin(regs.sminH, regs.u32min);
  lowerSmax(regs.smaxH, regs.u32max);
  // smin >= S32_MIN and smax <= S32_MAX, as s64.
  if (regs.s32min >= 0 && !slt(regs.sminH, regs.sminL, 0xffffffff, 0x80000000) && !slt(0, 0x7fffffff, regs.smaxH, regs.smaxL)) {
    if (regs.s32max < 0) return false;
    regs.sminH = 0; regs.sminL = regs.s32min; regs.smaxH = 0; regs.smaxL = regs.s32max;
    regs.uminH = 0; regs.uminL = regs.s32min; regs.umaxH = 0; regs.umaxL = regs.s32max;
    intersectRange64(0, regs.s32min, 0, regs.s32max);
  }
  return true;
}

/** `__reg_bound_offset`. */
function boundOffset(): void {
  intersectRange64(regs.uminH, regs.uminL, regs.umaxH, regs.umaxL);
  // The low half meets the u32 range; the high half stays.
  const chi = (regs.u32min ^ regs.u32max) >>> 0;
  const d = chi === 0 ? 0 : (0xffffffff >>> Math.clz32(chi)) >>> 0;
  const rv = (regs.u32min & ~d) >>> 0;
  const v = (regs.vL | rv) >>> 0;
  regs.mL = (regs.mL & d) >>> 0;
  regs.vL = (v & ~regs.mL) >>> 0;
}

/**
 * `reg_bounds_sync` of `b` in number halves, written back into `b`. False, with `b` untouched, when a
 * field is out of its type's range or the ranges contradict each other in a way the step-by-step
 * version treats specially: the caller then runs that.
 */
export function boundsSyncHalves(b: Bounds): boolean {
  if (!splitU64(b.umin)) return false;
  const umin0H = regs.outH, umin0L = regs.outL;
  if (!splitU64(b.umax)) return false;
  const umax0H = regs.outH, umax0L = regs.outL;
  if (!splitS64(b.smin)) return false;
  const smin0H = regs.outH, smin0L = regs.outL;
  if (!splitS64(b.smax)) return false;
  const smax0H = regs.outH, smax0L = regs.outL;
  if (!splitU64(b.varOff.value)) return false;
  const v0H = regs.outH, v0L = regs.outL;
  if (!splitU64(b.varOff.mask)) return false;
  const m0H = regs.outH, m0L = regs.outL;
  const s32min0 = Number(b.s32min), s32max0 = Number(b.s32max), u32min0 = Number(b.u32min), u32max0 = Number(b.u32max);
  if ((s32min0 | 0) !== s32min0 || (s32max0 | 0) !== s32max0 || u32min0 >>> 0 !== u32min0 || u32max0 >>> 0 !== u32max0) return false;
  regs.uminH = umin0H; regs.uminL = umin0L; regs.umaxH = umax0H; regs.umaxL = umax0L;
  regs.sminH = smin0H; regs.sminL = smin0L; regs.smaxH = smax0H; regs.smaxL = smax0L;
  regs.vH = v0H; regs.vL = v0L; regs.mH = m0H; regs.mL = m0L;
  regs.s32min = s32min0; regs.s32max = s32max0; regs.u32min = u32min0; regs.u32max = u32max0;

  updateBounds();
  deduce32();
  deduce64();
  if (!deduceMixed()) return false;
  deduce32();
  deduce64();
  if (!deduceMixed()) return false;
  boundOffset();
  updateBounds();

  if (regs.uminH !== umin0H || regs.uminL !== umin0L) b.umin = joinU64(regs.uminH, regs.uminL);
  if (regs.umaxH !== umax0H || regs.umaxL !== umax0L) b.umax = joinU64(regs.umaxH, regs.umaxL);
  if (regs.sminH !== smin0H || regs.sminL !== smin0L) b.smin = joinS64(regs.sminH, regs.sminL);
  if (regs.smaxH !== smax0H || regs.smaxL !== smax0L) b.smax = joinS64(regs.smaxH, regs.smaxL);
  if (regs.vH !== v0H || regs.vL !== v0L || regs.mH !== m0H || regs.mL !== m0L) b.varOff = { value: joinU64(regs.vH, regs.vL), mask: joinU64(regs.mH, regs.mL) };
  if (regs.s32min !== s32min0) b.s32min = BigInt(regs.s32min);
  if (regs.s32max !== s32max0) b.s32max = BigInt(regs.s32max);
  if (regs.u32min !== u32min0) b.u32min = BigInt(regs.u32min);
  if (regs.u32max !== u32max0) b.u32max = BigInt(regs.u32max);
  return true;
}
