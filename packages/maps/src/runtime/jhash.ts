// Bob Jenkins' lookup3 hash as include/linux/jhash.h has it: the kernel hashes
// map keys with it, so the bucket a key lands in (and so the order
// BPF_MAP_GET_NEXT_KEY walks a zero-seeded hash map in) matches the kernel's.

/** `JHASH_INITVAL`. */
const JHASH_INITVAL = 0xdeadbeef;

// Everything stays in int32 (`| 0`): V8 keeps such values unboxed, so hashing
// allocates nothing even when the u32 would not fit a small integer.

function rol32(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function word(bytes: Uint8Array, off: number): number {
  return (bytes[off] ?? 0) | ((bytes[off + 1] ?? 0) << 8) | ((bytes[off + 2] ?? 0) << 16) | ((bytes[off + 3] ?? 0) << 24);
}

/**
 * `jhash(key, length, initval)` as an int32 (`| 0` of the kernel's u32) over `bytes[off, off + length)`. Keys whose
 * length is a multiple of 4 give the same value as `jhash2` on a little-endian
 * machine, which is what `htab_map_hash` picks for them. Allocates nothing.
 *
 * @example
 * jhash(new Uint8Array([1, 0, 0, 0]), 0, 4, 0); // the bucket hash of u32 key 1 in a zero-seeded map
 */
export function jhash(bytes: Uint8Array, off: number, length: number, initval: number): number {
  let a = (JHASH_INITVAL + length + initval) | 0;
  let b = a;
  let c = a;
  let p = off;
  let len = length;
  while (len > 12) {
    a = (a + word(bytes, p)) | 0;
    b = (b + word(bytes, p + 4)) | 0;
    c = (c + word(bytes, p + 8)) | 0;
    // __jhash_mix
    a = (a - c) | 0; a = (a ^ rol32(c, 4)) | 0; c = (c + b) | 0;
    b = (b - a) | 0; b = (b ^ rol32(a, 6)) | 0; a = (a + c) | 0;
    c = (c - b) | 0; c = (c ^ rol32(b, 8)) | 0; b = (b + a) | 0;
    a = (a - c) | 0; a = (a ^ rol32(c, 16)) | 0; c = (c + b) | 0;
    b = (b - a) | 0; b = (b ^ rol32(a, 19)) | 0; a = (a + c) | 0;
    c = (c - b) | 0; c = (c ^ rol32(b, 4)) | 0; b = (b + a) | 0;
    len -= 12;
    p += 12;
  }
  if (len === 0) return c;
  // The tail: up to 12 bytes, little-endian into a, b, c (the kernel's fall-through switch).
  for (let i = 0; i < len; i++) {
    const v = (bytes[p + i] ?? 0) << ((i & 3) * 8);
    if (i < 4) a = (a + v) | 0;
    else if (i < 8) b = (b + v) | 0;
    else c = (c + v) | 0;
  }
  return jhashFinal(a, b, c);
}

/**
 * `__jhash_final(a, b, c)`: returns c.
 *
 * @example
 * jhashFinal(a, b, c);
 */
export function jhashFinal(a0: number, b0: number, c0: number): number {
  let a = a0;
  let b = b0;
  let c = c0;
  c = (c ^ b) | 0; c = (c - rol32(b, 14)) | 0;
  a = (a ^ c) | 0; a = (a - rol32(c, 11)) | 0;
  b = (b ^ a) | 0; b = (b - rol32(a, 25)) | 0;
  c = (c ^ b) | 0; c = (c - rol32(b, 16)) | 0;
  a = (a ^ c) | 0; a = (a - rol32(c, 4)) | 0;
  b = (b ^ a) | 0; b = (b - rol32(a, 14)) | 0;
  c = (c ^ b) | 0; c = (c - rol32(b, 24)) | 0;
  return c;
}

/**
 * `jhash2(k, length, initval)` over `length` u32 words starting at `bytes[off]`
 * (little-endian). The bloom filter hashes 4-byte-multiple values with it.
 *
 * @example
 * jhash2(value, 0, 2, seed + i); // one of the bloom filter's hash functions over an 8-byte value
 */
export function jhash2(bytes: Uint8Array, off: number, length: number, initval: number): number {
  return jhash(bytes, off, length * 4, initval);
}
