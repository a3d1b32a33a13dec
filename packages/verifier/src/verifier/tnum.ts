/**
 * Tracked numbers (`struct tnum`): bits whose value is known (`mask` bit 0, value in `value`)
 * and bits that are unknown (`mask` bit 1, `value` bit 0). All values are u64 bigints.
 */
export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

export const U64_MAX = (1n << 64n) - 1n;
export const U32_MAX = 0xffffffffn;

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

export const tnumUnknown: Tnum = { value: 0n, mask: U64_MAX };

/** Tnums of the small constants most programs use, shared (a tnum is never changed in place). */
const SMALL_CONSTS: readonly Tnum[] = Array.from({ length: 256 }, (_, i) => ({ value: BigInt(i), mask: 0n }));

export function tnumConst(v: bigint): Tnum {
  if (v >= 0n && v < 256n) return SMALL_CONSTS[Number(v)] as Tnum;
  return { value: u64(v), mask: 0n };
}

export function tnumIsConst(t: Tnum): boolean {
  return t.mask === 0n;
}

export function tnumIsUnknown(t: Tnum): boolean {
  return t.mask === U64_MAX;
}

/** Bits needed to write a u64 (`fls64`), without building its digits. */
function bitLength(v: bigint): number {
  if (v <= 0xffffffffn) return 32 - Math.clz32(Number(v));
  return 64 - Math.clz32(Number(v >> 32n));
}

/** `LOW_MASKS[n]` has the low n bits set. */
const LOW_MASKS: readonly bigint[] = Array.from({ length: 65 }, (_, n) => (1n << BigInt(n)) - 1n);

/** `tnum_range`: the smallest tnum holding every value of [min, max]. */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = u64(min ^ max);
  const bits = bitLength(chi);
  if (bits > 63) return tnumUnknown;
  const delta = LOW_MASKS[bits] as bigint;
  return { value: u64(min) & ~delta, mask: delta };
}

export function tnumLshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: u64(a.value << s), mask: u64(a.mask << s) };
}

export function tnumRshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: a.value >> s, mask: a.mask >> s };
}

/** `tnum_arshift`: sign-extending shift at 32 or 64 bits (the 32-bit result is zero-extended). */
export function tnumArshift(a: Tnum, shift: number, bits: 32 | 64): Tnum {
  const s = BigInt(shift);
  const w = BigInt.asUintN.bind(null, bits);
  return { value: w(BigInt.asIntN(bits, a.value) >> s), mask: w(BigInt.asIntN(bits, a.mask) >> s) };
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & ~mu & U64_MAX, mask: mu };
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return { value: dv & ~mu & U64_MAX, mask: mu };
}

export function tnumNeg(a: Tnum): Tnum {
  return tnumSub(tnumConst(0n), a);
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v & U64_MAX };
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & ~v & U64_MAX };
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & ~mu & U64_MAX, mask: mu };
}

const lo32 = (v: bigint): number => Number(BigInt.asUintN(32, v));
const hi32 = (v: bigint): number => Number(v >> 32n);
const CARRY = 0x100000000;

/** `tnum_mul`: long multiplication over the bits of `a`, accumulating the uncertain partial products. */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  const accV = u64(a.value * b.value);
  // Up to 64 rounds of shifts and tnum additions: done on 32-bit halves in numbers, which allocate
  // nothing, where bigints would allocate a dozen values a round.
  let xvl = lo32(a.value), xvh = hi32(a.value), xml = lo32(a.mask), xmh = hi32(a.mask);
  let yvl = lo32(b.value), yvh = hi32(b.value), yml = lo32(b.mask), ymh = hi32(b.mask);
  let mvl = 0, mvh = 0, mml = 0, mmh = 0;
  while ((xvl | xvh | xml | xmh) !== 0) {
    let bl = -1, bh = 0;
    if ((xvl & 1) !== 0) { bl = yml; bh = ymh; } else if ((xml & 1) !== 0) { bl = (yvl | yml) >>> 0; bh = (yvh | ymh) >>> 0; }
    if (bl >= 0) {
      // tnum_add(acc_m, TNUM(0, bl:bh)) on the halves.
      const sl = mml + bl;
      const sh = (mmh + bh + (sl >= CARRY ? 1 : 0)) >>> 0;
      const tl = (sl >>> 0) + mvl;
      const th = (sh + mvh + (tl >= CARRY ? 1 : 0)) >>> 0;
      mml = (((tl >>> 0) ^ mvl) | mml | bl) >>> 0;
      mmh = ((th ^ mvh) | mmh | bh) >>> 0;
      mvl = (mvl & ~mml) >>> 0;
      mvh = (mvh & ~mmh) >>> 0;
      // Every bit unknown stays so whatever is added: the product is unknown.
      if (mml === 0xffffffff && mmh === 0xffffffff) break;
    }
    xvl = ((xvl >>> 1) | (xvh << 31)) >>> 0;
    xvh >>>= 1;
    xml = ((xml >>> 1) | (xmh << 31)) >>> 0;
    xmh >>>= 1;
    yvh = ((yvh << 1) | (yvl >>> 31)) >>> 0;
    yvl = (yvl << 1) >>> 0;
    ymh = ((ymh << 1) | (yml >>> 31)) >>> 0;
    yml = (yml << 1) >>> 0;
  }
  const accM: Tnum = { value: (BigInt(mvh) << 32n) | BigInt(mvl), mask: (BigInt(mmh) << 32n) | BigInt(mml) };
  return tnumAdd(tnumConst(accV), accM);
}

/** `tnum_intersect`: what both say. */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu & U64_MAX, mask: mu };
}

/** `tnum_cast`: the low `size` bytes. */
export function tnumCast(a: Tnum, size: number): Tnum {
  const m = size >= 8 ? U64_MAX : CAST_MASKS[size] ?? (1n << BigInt(size * 8)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
}

/** The masks of the low 0-7 bytes (`tnum_cast` runs at every 32-bit view of a register). */
const CAST_MASKS: readonly bigint[] = [0n, 0xffn, 0xffffn, 0xffffffn, 0xffffffffn, 0xffffffffffn, 0xffffffffffffn, 0xffffffffffffffn];

export function tnumSubreg(a: Tnum): Tnum {
  // A tnum already within 32 bits is its own subregister (tnums are never changed in place).
  if (a.value >= 0n && a.value <= U32_MAX && a.mask >= 0n && a.mask <= U32_MAX) return a;
  return { value: a.value & U32_MAX, mask: a.mask & U32_MAX };
}

export function tnumClearSubreg(a: Tnum): Tnum {
  return tnumLshift(tnumRshift(a, 32), 32);
}

/** `tnum_with_subreg`: the upper half of `reg`, the lower half of `subreg`. */
export function tnumWithSubreg(reg: Tnum, subreg: Tnum): Tnum {
  return tnumOr(tnumClearSubreg(reg), tnumSubreg(subreg));
}

/** `tnum_in(a, b)`: every value of b is a value of a. */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if ((b.mask & ~a.mask) !== 0n) return false;
  return a.value === (b.value & ~a.mask & U64_MAX);
}

/** `tnum_strn`: `(0x0; 0xff)`. */
export function tnumStr(a: Tnum): string {
  return `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
}
