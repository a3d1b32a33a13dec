// One's complement arithmetic as include/net/checksum.h and x86-64's
// csum_partial do it, on values read little-endian from memory (the sums are
// byte-order independent as long as every operand is read the same way).

/** `csum16_add`: 16-bit one's complement addition. @example csum16Add(0xffff, 1) // 1 */
export function csum16Add(a: number, b: number): number {
  const s = a + b;
  return (s & 0xffff) + (s >>> 16);
}

/** `csum_add`: 32-bit addition with the carry wrapped around. @example csumAdd(0xffff_ffff, 1) // 1 */
export function csumAdd(a: number, b: number): number {
  const s = a + b;
  return s > 0xffff_ffff ? s - 0xffff_ffff : s;
}

/** `~x` as a u32. @example not32(0) // 0xffffffff */
export function not32(x: number): number {
  return ~x >>> 0;
}

/** `csum_sub`: `csum_add(a, ~b)`. @example csumSub(5, 3) // 2 */
export function csumSub(a: number, b: number): number {
  return csumAdd(a, not32(b));
}

/** `csum_fold`: the 32-bit sum folded to 16 bits and complemented (a `__sum16`). @example csumFold(0) // 0xffff */
export function csumFold(x: number): number {
  let t = (x & 0xffff) + (x >>> 16);
  t = (t & 0xffff) + (t >>> 16);
  return ~t & 0xffff;
}

/** `csum_from32to16`: folded, not complemented. @example from32to16(0x0001_ffff) // 1 */
export function from32to16(x: number): number {
  let t = (x & 0xffff) + (x >>> 16);
  t = (t & 0xffff) + (t >>> 16);
  return t;
}

/** `csum_block_add`: a block's sum at an odd offset counts byte-swapped (rotated by 8). @example csumBlockAdd(0, 0x1234, 1) */
export function csumBlockAdd(csum: number, block: number, offset: number): number {
  const b = (offset & 1) !== 0 ? (((block >>> 8) | (block << 24)) >>> 0) : block;
  return csumAdd(csum, b);
}

/** `csum_block_sub`. @example csumBlockSub(sum, old, off) */
export function csumBlockSub(csum: number, block: number, offset: number): number {
  const b = (offset & 1) !== 0 ? (((block >>> 8) | (block << 24)) >>> 0) : block;
  return csumSub(csum, b);
}

/**
 * x86-64's `csum_partial`: a 32-bit one's complement sum of the
 * little-endian words at `addr` (a short tail zero-padded) and `sum`.
 *
 * @example
 * csumPartial(arena.bytes, arena.view, data, 20, 0)
 */
export function csumPartial(bytes: Uint8Array, view: DataView, addr: number, len: number, sum: number): number {
  let s = sum;
  let i = 0;
  for (; i + 4 <= len; i += 4) s += view.getUint32(addr + i, true);
  for (let k = 0; i + k < len; k++) s += (bytes[addr + i + k] ?? 0) * 2 ** (8 * k);
  while (s > 0xffff_ffff) s = (s % 0x1_0000_0000) + Math.floor(s / 0x1_0000_0000);
  return s;
}
