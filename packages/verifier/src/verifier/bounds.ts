import {
  tnumClearSubreg, tnumConst, tnumIntersect, tnumIsConst, tnumOr, tnumRange, tnumSubreg, tnumUnknown, U32_MAX, U64_MAX, type Tnum,
} from './tnum.js';
import { boundsSyncHalves } from './bounds-sync-halves.js';

export const S64_MIN = -(1n << 63n), S64_MAX = (1n << 63n) - 1n;
export const S32_MIN = -(1n << 31n), S32_MAX = (1n << 31n) - 1n;

/**
 * What the verifier knows about a scalar (or a pointer's variable offset): known bits
 * plus signed/unsigned 64- and 32-bit ranges (the bounds fields of `struct bpf_reg_state`).
 * Unsigned values are u64/u32 bigints, signed ones s64/s32 bigints.
 */
export interface Bounds {
  varOff: Tnum;
  smin: bigint; smax: bigint; umin: bigint; umax: bigint;
  s32min: bigint; s32max: bigint; u32min: bigint; u32max: bigint;
}

const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

export const unknownBounds: Readonly<Bounds> = {
  varOff: tnumUnknown, smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: U64_MAX, s32min: S32_MIN, s32max: S32_MAX, u32min: 0n, u32max: U32_MAX,
};

/** `__mark_reg_known`. */
export function knownBounds(v: bigint): Bounds {
  // Small non-negative constants (most of them) are the same number in every width: no conversions.
  if (v >= 0n && v <= S32_MAX) {
    return { varOff: tnumConst(v), smin: v, smax: v, umin: v, umax: v, s32min: v, s32max: v, u32min: v, u32max: v };
  }
  const u = u64(v);
  return { varOff: tnumConst(u), smin: s64(u), smax: s64(u), umin: u, umax: u, s32min: s32(u), s32max: s32(u), u32min: u32(u), u32max: u32(u) };
}

export function copyBounds(b: Bounds): Bounds {
  return { varOff: b.varOff, smin: b.smin, smax: b.smax, umin: b.umin, umax: b.umax, s32min: b.s32min, s32max: b.s32max, u32min: b.u32min, u32max: b.u32max };
}

export function mark32Unbounded(b: Bounds): void {
  b.s32min = S32_MIN; b.s32max = S32_MAX; b.u32min = 0n; b.u32max = U32_MAX;
}

export function mark64Unbounded(b: Bounds): void {
  b.smin = S64_MIN; b.smax = S64_MAX; b.umin = 0n; b.umax = U64_MAX;
}

/** `__update_reg32_bounds`. */
export function updateBounds32(b: Bounds): void {
  const v = tnumSubreg(b.varOff);
  b.s32min = max(b.s32min, s32(v.value | (v.mask & 0x80000000n)));
  b.s32max = min(b.s32max, s32(v.value | (v.mask & 0x7fffffffn)));
  b.u32min = max(b.u32min, v.value);
  b.u32max = min(b.u32max, v.value | v.mask);
}

/** `__update_reg64_bounds`. */
export function updateBounds64(b: Bounds): void {
  const v = b.varOff;
  b.smin = max(b.smin, s64(v.value | (v.mask & (1n << 63n))));
  b.smax = min(b.smax, s64(v.value | (v.mask & S64_MAX)));
  b.umin = max(b.umin, v.value);
  b.umax = min(b.umax, v.value | v.mask);
}

export function updateBounds(b: Bounds): void {
  updateBounds32(b);
  updateBounds64(b);
}

/** `__reg32_deduce_bounds`: the 32-bit ranges from each other and from the 64-bit ones. */
function deduce32(b: Bounds): void {
  if (b.umin >> 32n === b.umax >> 32n) {
    b.u32min = max(b.u32min, u32(b.umin));
    b.u32max = min(b.u32max, u32(b.umax));
    if (s32(b.umin) <= s32(b.umax)) {
      b.s32min = max(b.s32min, s32(b.umin));
      b.s32max = min(b.s32max, s32(b.umax));
    }
  }
  if (b.smin >> 32n === b.smax >> 32n) {
    b.u32min = max(b.u32min, u32(b.smin));
    b.u32max = min(b.u32max, u32(b.smax));
    if (s32(b.smin) <= s32(b.smax)) {
      b.s32min = max(b.s32min, s32(b.smin));
      b.s32max = min(b.s32max, s32(b.smax));
    }
  }
  // A 64-bit range crossing one 2^32 boundary with the low half going negative to non-negative.
  if (u32(u32(b.umin >> 32n) + 1n) === u32(b.umax >> 32n) && s32(b.umin) < 0n && s32(b.umax) >= 0n) {
    b.s32min = max(b.s32min, s32(b.umin));
    b.s32max = min(b.s32max, s32(b.umax));
  }
  if (u32(u32(b.smin >> 32n) + 1n) === u32(b.smax >> 32n) && s32(b.smin) < 0n && s32(b.smax) >= 0n) {
    b.s32min = max(b.s32min, s32(b.smin));
    b.s32max = min(b.s32max, s32(b.smax));
  }
  if (s32(b.u32min) <= s32(b.u32max)) {
    b.s32min = max(b.s32min, s32(b.u32min));
    b.s32max = min(b.s32max, s32(b.u32max));
  }
  if (u32(b.s32min) <= u32(b.s32max)) {
    b.u32min = max(b.u32min, u32(b.s32min));
    b.u32max = min(b.u32max, u32(b.s32max));
  } else if (b.u32max < u32(b.s32min)) {
    // The s32 range crosses the sign boundary and the u32 range lies inside its non-negative part.
    b.s32min = s32(b.u32min);
    b.u32max = min(b.u32max, u32(b.s32max));
  } else if (u32(b.s32max) < b.u32min) {
    b.s32max = s32(b.u32max);
    b.u32min = max(b.u32min, u32(b.s32min));
  }
}

/** `__reg64_deduce_bounds`: signed from unsigned and back, also across the sign boundary. */
function deduce64(b: Bounds): void {
  if (s64(b.umin) <= s64(b.umax)) {
    b.smin = max(b.smin, s64(b.umin));
    b.smax = min(b.smax, s64(b.umax));
  }
  if (u64(b.smin) <= u64(b.smax)) {
    b.umin = max(b.umin, u64(b.smin));
    b.umax = min(b.umax, u64(b.smax));
  } else if (b.umax < u64(b.smin)) {
    b.smin = s64(b.umin);
    b.umax = min(b.umax, u64(b.smax));
  } else if (u64(b.smax) < b.umin) {
    b.smax = s64(b.umax);
    b.umin = max(b.umin, u64(b.smin));
  }
}

/** `__reg_deduce_mixed_bounds`: 64-bit ranges from the 32-bit ones. */
function deduceMixed(b: Bounds): void {
  const hiU = b.umin & ~U32_MAX & U64_MAX;
  b.umin = max(b.umin, hiU | b.u32min);
  b.umax = min(b.umax, (b.umax & ~U32_MAX & U64_MAX) | b.u32max);
  b.smin = max(b.smin, s64((u64(b.smin) & ~U32_MAX & U64_MAX) | b.u32min));
  b.smax = min(b.smax, s64((u64(b.smax) & ~U32_MAX & U64_MAX) | b.u32max));
  if (b.s32min >= 0n && b.smin >= S32_MIN && b.smax <= S32_MAX) {
    b.smin = b.s32min; b.smax = b.s32max;
    b.umin = b.s32min; b.umax = b.s32max;
    b.varOff = tnumIntersect(b.varOff, tnumRange(b.smin, b.smax));
  }
}

function deduceBounds(b: Bounds): void {
  deduce32(b);
  deduce64(b);
  deduceMixed(b);
}

/** `__reg_bound_offset`: known bits from the ranges. */
function boundOffset(b: Bounds): void {
  const var64 = tnumIntersect(b.varOff, tnumRange(b.umin, b.umax));
  const var32 = tnumIntersect(tnumSubreg(var64), tnumRange(b.u32min, b.u32max));
  b.varOff = tnumOr(tnumClearSubreg(var64), var32);
}

/**
 * `reg_bounds_sync`. Two shapes skip the arithmetic because its result is known: a constant whose
 * every range holds it (each range collapses to it), and a scalar that knows nothing (nothing to learn).
 */
export function boundsSync(b: Bounds): void {
  const t = b.varOff;
  if (t.mask === 0n) {
    if (syncConst(b, t.value)) return;
  } else if (t.mask === U64_MAX && isUnknown(b)) {
    return;
  } else if (syncSmall(b)) {
    return;
  }
  if (!boundsSyncHalves(b)) boundsSyncFull(b);
}

/** `reg_bounds_sync` step by step, as the kernel runs it (what {@link boundsSync}'s shortcuts must equal). */
export function boundsSyncFull(b: Bounds): void {
  updateBounds(b);
  deduceBounds(b);
  deduceBounds(b);
  boundOffset(b);
  updateBounds(b);
}

/** The ranges of a constant `v` after `reg_bounds_sync`, when each holds `v`; false (nothing changed) otherwise. */
function syncConst(b: Bounds, v: bigint): boolean {
  const small = v <= S32_MAX;
  const sv = small ? v : s64(v), v32 = small ? v : u32(v), sv32 = small ? v : s32(v);
  if (b.umin > v || b.umax < v || b.smin > sv || b.smax < sv) return false;
  if (b.u32min > v32 || b.u32max < v32 || b.s32min > sv32 || b.s32max < sv32) return false;
  b.umin = b.umax = v; b.smin = b.smax = sv;
  b.u32min = b.u32max = v32; b.s32min = b.s32max = sv32;
  return true;
}

/**
 * `reg_bounds_sync` of a scalar whose every range and known bit lies in [0, S32_MAX]: there the four
 * ranges describe the same numbers, so the kernel's deductions come down to intersecting them with
 * each other and with the known bits. False (nothing changed) when they do not all lie there or
 * contradict each other.
 */
function syncSmall(b: Bounds): boolean {
  const t = b.varOff;
  const tmax = t.value | t.mask;
  if (tmax > S32_MAX || b.umax > S32_MAX || b.smin < 0n || b.smax > S32_MAX || b.u32max > S32_MAX || b.s32min < 0n || b.s32max > S32_MAX) {
    return false;
  }
  let lo = t.value, hi = tmax;
  if (b.umin > lo) lo = b.umin;
  if (b.smin > lo) lo = b.smin;
  if (b.u32min > lo) lo = b.u32min;
  if (b.s32min > lo) lo = b.s32min;
  if (b.umax < hi) hi = b.umax;
  if (b.smax < hi) hi = b.smax;
  if (b.u32max < hi) hi = b.u32max;
  if (b.s32max < hi) hi = b.s32max;
  if (lo > hi) return false;
  const t2 = tnumIntersect(t, tnumRange(lo, hi));
  const lo2 = t2.value > lo ? t2.value : lo;
  const top = t2.value | t2.mask;
  const hi2 = top < hi ? top : hi;
  if (lo2 > hi2) return false;
  b.varOff = t2;
  b.umin = b.smin = b.u32min = b.s32min = lo2;
  b.umax = b.smax = b.u32max = b.s32max = hi2;
  return true;
}

function isUnknown(b: Bounds): boolean {
  return b.umin === 0n && b.umax === U64_MAX && b.smin === S64_MIN && b.smax === S64_MAX &&
    b.u32min === 0n && b.u32max === U32_MAX && b.s32min === S32_MIN && b.s32max === S32_MAX;
}

/** `reg_bounds_sanity_check` (the ranges and known bits agree); false when they are contradictory. */
export function boundsSane(b: Bounds): boolean {
  if (b.umin > b.umax || b.smin > b.smax || b.u32min > b.u32max || b.s32min > b.s32max) return false;
  if (tnumIsConst(b.varOff)) {
    const v = b.varOff.value;
    if (b.umin !== v || b.umax !== v || b.smin !== s64(v) || b.smax !== s64(v)) return false;
  }
  const v32 = tnumSubreg(b.varOff);
  if (tnumIsConst(v32)) {
    if (b.u32min !== v32.value || b.u32max !== v32.value || b.s32min !== s32(v32.value) || b.s32max !== s32(v32.value)) return false;
  }
  return true;
}

/** `__reg_assign_32_into_64` after `zext_32_to_64`: ALU32 results are zero-extended. */
export function zext32To64(b: Bounds): void {
  b.varOff = tnumSubreg(b.varOff);
  b.umin = b.u32min;
  b.umax = b.u32max;
  if (b.s32min >= 0n && b.s32max >= 0n) {
    b.smin = b.s32min;
    b.smax = b.s32max;
  } else {
    b.smin = 0n;
    b.smax = U32_MAX;
  }
}

/** `coerce_reg_to_size`: zero-extension of the low `size` bytes (loads, 32-bit moves). */
export function coerceToSize(b: Bounds, size: number): void {
  const mask = (1n << BigInt(size * 8)) - 1n;
  b.varOff = { value: b.varOff.value & mask, mask: b.varOff.mask & mask };
  if ((b.umin & ~mask & U64_MAX) === (b.umax & ~mask & U64_MAX)) {
    b.umin &= mask;
    b.umax &= mask;
  } else {
    b.umin = 0n;
    b.umax = mask;
  }
  b.smin = b.umin;
  b.smax = b.umax;
  if (size >= 4) {
    b.u32min = u32(b.umin); b.u32max = u32(b.umax);
    b.s32min = s32(b.umin) <= s32(b.umax) ? s32(b.umin) : S32_MIN;
    b.s32max = s32(b.umin) <= s32(b.umax) ? s32(b.umax) : S32_MAX;
    if (s32(b.umin) > s32(b.umax)) { b.s32min = S32_MIN; b.s32max = S32_MAX; }
  } else {
    b.u32min = b.umin; b.u32max = b.umax; b.s32min = b.umin; b.s32max = b.umax;
  }
  boundsSync(b);
}

/** `coerce_reg_to_size_sx` / `coerce_subreg_to_size_sx`: sign-extension of the low `size` bytes to 64 or 32 bits. */
export function coerceToSizeSx(b: Bounds, size: number, to32: boolean): void {
  const bits = BigInt(size * 8);
  const lo = -(1n << (bits - 1n)), hi = (1n << (bits - 1n)) - 1n;
  let smin = lo, smax = hi;
  const known = constOf(b);
  if (known !== undefined) {
    smin = smax = BigInt.asIntN(Number(bits), known);
  } else if (b.smin >> bits === b.smax >> bits) {
    // One window of 2^bits values that does not wrap in the small type keeps its range.
    const a = BigInt.asIntN(Number(bits), b.smin), c = BigInt.asIntN(Number(bits), b.smax);
    if (a <= c) { smin = a; smax = c; }
  }
  const r = unknownBoundsCopy();
  if (to32) {
    r.s32min = smin; r.s32max = smax;
    r.varOff = smin === smax ? tnumConst(u32(smin)) : smin >= 0n ? tnumRange(smin, smax) : tnumSubreg(tnumUnknown);
    r.smin = 0n; r.smax = U32_MAX; r.umin = 0n; r.umax = U32_MAX;
  } else {
    r.smin = smin; r.smax = smax;
    r.varOff = smin === smax ? tnumConst(u64(smin)) : smin >= 0n ? tnumRange(smin, smax) : tnumUnknown;
  }
  Object.assign(b, r);
  boundsSync(b);
}

export function unknownBoundsCopy(): Bounds {
  return copyBounds(unknownBounds);
}

/** The constant value when every bit is known (`tnum_is_const(reg->var_off)`; 32-bit: the subregister). */
export function constOf(b: Bounds, is32 = false): bigint | undefined {
  const t = is32 ? tnumSubreg(b.varOff) : b.varOff;
  return tnumIsConst(t) ? t.value : undefined;
}

export { tnumConst };
