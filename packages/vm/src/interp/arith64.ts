/**
 * 64-bit arithmetic on (lo, hi) pairs of 32-bit words, without BigInt: the
 * interpreter's registers are pairs in an `Int32Array`, and these write their
 * result back into it (or into {@link scratch}) so that nothing allocates.
 */

/**
 * Results of {@link udivmod64}: quotient lo/hi, remainder lo/hi.
 *
 * @example
 * udivmod64(7, 0, 2, 0);
 * scratch[0]; // 3 (quotient low word)
 */
export const scratch = new Int32Array(4);

/**
 * High 32 bits of the unsigned product of two 32-bit words, from 16-bit limbs
 * (every partial sum stays below 2^32, exact in a double).
 *
 * @example
 * umulhi32(0xffffffff, 0xffffffff) >>> 0; // 0xfffffffe
 */
export function umulhi32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const m1 = a1 * b0 + ((a0 * b0) >>> 16);
  const m2 = a0 * b1 + (m1 & 0xffff);
  return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16)) | 0;
}

/**
 * Unsigned 64-bit division with remainder into {@link scratch}
 * (`[qlo, qhi, rlo, rhi]`); the divisor is not zero.
 * A divisor below 2^32 is done in 16-bit steps whose partial dividends stay
 * below 2^48, where a double's `%` and `/` are exact; a wider one bit by bit.
 *
 * @example
 * udivmod64(10, 0, 3, 0); // scratch = [3, 0, 1, 0]
 */
export function udivmod64(al: number, ah: number, bl: number, bh: number): void {
  const aL = al >>> 0;
  const aH = ah >>> 0;
  const bL = bl >>> 0;
  const bH = bh >>> 0;
  if (bH === 0) {
    if (aH === 0) {
      const r = aL % bL;
      scratch[0] = (aL - r) / bL;
      scratch[1] = 0;
      scratch[2] = r;
      scratch[3] = 0;
      return;
    }
    const rh = aH % bL;
    const qh = (aH - rh) / bL;
    const n1 = rh * 0x10000 + (aL >>> 16);
    const r1 = n1 % bL;
    const q1 = (n1 - r1) / bL;
    const n0 = r1 * 0x10000 + (aL & 0xffff);
    const r0 = n0 % bL;
    const q0 = (n0 - r0) / bL;
    scratch[0] = q1 * 0x10000 + q0;
    scratch[1] = qh;
    scratch[2] = r0;
    scratch[3] = 0;
    return;
  }
  // Restoring division, one dividend bit per step; the quotient fits in 32 bits.
  let rl = 0;
  let rh = 0;
  let ql = 0;
  for (let i = 63; i >= 0; i--) {
    const carry = rh >>> 31;
    const bit = i >= 32 ? (aH >>> (i - 32)) & 1 : (aL >>> i) & 1;
    rh = ((rh << 1) | (rl >>> 31)) >>> 0;
    rl = ((rl << 1) | bit) >>> 0;
    if (carry !== 0 || rh > bH || (rh === bH && rl >= bL)) {
      const nl = rl - bL;
      rl = nl >>> 0;
      rh = (rh - bH - (nl < 0 ? 1 : 0)) >>> 0;
      if (i < 32) ql |= 1 << i;
    }
  }
  scratch[0] = ql;
  scratch[1] = 0;
  scratch[2] = rl;
  scratch[3] = rh;
}

/**
 * Signed 64-bit division (`sdiv`), truncating toward zero, into
 * `scratch[0..1]`; the divisor is neither 0 nor -1 (the kernel rewrites those).
 *
 * @example
 * sdiv64(-7, -1, 2, 0); // scratch[0..1] = -3 as (lo, hi)
 */
export function sdiv64(al: number, ah: number, bl: number, bh: number): void {
  const negA = ah < 0;
  const negB = bh < 0;
  if (negA) {
    al = -al | 0;
    ah = (~ah + (al === 0 ? 1 : 0)) | 0;
  }
  if (negB) {
    bl = -bl | 0;
    bh = (~bh + (bl === 0 ? 1 : 0)) | 0;
  }
  udivmod64(al, ah, bl, bh);
  if (negA !== negB) negate(0);
}

/**
 * Signed 64-bit remainder (`smod`): the sign of the dividend, into `scratch[2..3]`; divisor not 0 or -1.
 *
 * @example
 * smod64(-7, -1, 2, 0); // scratch[2..3] = -1 as (lo, hi)
 */
export function smod64(al: number, ah: number, bl: number, bh: number): void {
  const negA = ah < 0;
  if (negA) {
    al = -al | 0;
    ah = (~ah + (al === 0 ? 1 : 0)) | 0;
  }
  if (bh < 0) {
    bl = -bl | 0;
    bh = (~bh + (bl === 0 ? 1 : 0)) | 0;
  }
  udivmod64(al, ah, bl, bh);
  if (negA) negate(2);
}

function negate(at: number): void {
  const lo = -(scratch[at] ?? 0) | 0;
  scratch[at + 1] = (~(scratch[at + 1] ?? 0) + (lo === 0 ? 1 : 0)) | 0;
  scratch[at] = lo;
}

/**
 * Byte swap of a 32-bit word.
 *
 * @example
 * bswap32(0x11223344) >>> 0; // 0x44332211
 */
export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}
