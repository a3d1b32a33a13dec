// `tnumMul` runs the kernel's long multiplication on 32-bit halves in numbers. It must give
// exactly what `tnum_mul` gives on u64s, and every product of members must be a member.
import test from 'ava';
import fc from 'fast-check';
import { tnumAdd, tnumConst, tnumMul, type Tnum } from '../dist/verifier/tnum.js';

const U64 = (1n << 64n) - 1n;

/** `tnum_mul` as the kernel writes it, one u64 round per bit of `a`. */
function tnumMulU64(a: Tnum, b: Tnum): Tnum {
  const accV = BigInt.asUintN(64, a.value * b.value);
  let accM: Tnum = { value: 0n, mask: 0n };
  let x = a, y = b;
  while (x.value !== 0n || x.mask !== 0n) {
    if ((x.value & 1n) !== 0n) accM = tnumAdd(accM, { value: 0n, mask: y.mask });
    else if ((x.mask & 1n) !== 0n) accM = tnumAdd(accM, { value: 0n, mask: y.value | y.mask });
    x = { value: x.value >> 1n, mask: x.mask >> 1n };
    y = { value: (y.value << 1n) & U64, mask: (y.mask << 1n) & U64 };
  }
  return tnumAdd(tnumConst(accV), accM);
}

/** Values with the high, low and both halves set, and masks of any width. */
const u64 = fc.oneof(fc.bigInt({ min: 0n, max: 0xffffn }), fc.bigInt({ min: 0n, max: 0xffffffffn }), fc.bigInt({ min: 0n, max: U64 }), fc.constant(U64));
const tnum: fc.Arbitrary<Tnum> = fc.tuple(u64, fc.oneof(fc.constant(0n), u64)).map(([value, mask]) => ({ value: value & ~mask, mask }));

test('tnumMul equals tnum_mul computed on u64s', (t) => {
  fc.assert(fc.property(tnum, tnum, (a, b) => {
    t.deepEqual(tnumMul(a, b), tnumMulU64(a, b));
  }), { numRuns: 20000 });
});

test('tnumMul holds every product of its operands\' members', (t) => {
  const member = (x: Tnum, bits: bigint): bigint => x.value | (bits & x.mask);
  fc.assert(fc.property(tnum, tnum, u64, u64, (a, b, p, q) => {
    const product = BigInt.asUintN(64, member(a, p) * member(b, q));
    const r = tnumMul(a, b);
    t.is(product & ~r.mask, r.value);
  }), { numRuns: 20000 });
});

test('tnumMul of constants is their wrapped product', (t) => {
  t.deepEqual(tnumMul(tnumConst(U64), tnumConst(3n)), tnumConst(U64 - 2n));
  t.deepEqual(tnumMul(tnumConst(0x811c9dc5n), tnumConst(0x01000193n)), tnumConst(0x811c9dc5n * 0x01000193n));
});
