// `adjustScalarMinMaxVals` folds two constants directly. It must give exactly what
// `adjust_scalar_min_max_vals` computes step by step on their bounds, for every operation and width.
import test from 'ava';
import fc from 'fast-check';
import { knownBounds } from '../dist/verifier/bounds.js';
import { adjustScalarMinMaxVals, adjustScalarMinMaxValsFull } from '../dist/verifier/scalar-alu.js';

const U64 = (1n << 64n) - 1n;
const OPS = { ADD: 0x00, SUB: 0x10, MUL: 0x20, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70, NEG: 0x80, XOR: 0xa0, ARSH: 0xc0 };

/** Small numbers, shift amounts, the edges of every width, and anything. */
const value = fc.oneof(
  fc.bigInt({ min: 0n, max: 70n }),
  fc.bigInt({ min: 0x7ffffff0n, max: 0x80000010n }),
  fc.bigInt({ min: 0xfffffff0n, max: 0x100000010n }),
  fc.bigInt({ min: (1n << 63n) - 16n, max: (1n << 63n) + 16n }),
  fc.bigInt({ min: U64 - 16n, max: U64 }),
  fc.bigInt({ min: 0n, max: U64 }),
);

test('two constants fold to what the step-by-step bounds give', (t) => {
  fc.assert(fc.property(value, value, fc.constantFrom(...Object.values(OPS)), fc.boolean(), (a, b, o, alu32) => {
    const dst = knownBounds(a), src = knownBounds(b);
    t.deepEqual(adjustScalarMinMaxVals(dst, src, o, alu32), adjustScalarMinMaxValsFull(dst, src, o, alu32));
  }), { numRuns: 50000 });
});

test('a constant is only folded when every range says so: r += 1 of a constant with wider ranges is computed', (t) => {
  const dst = { ...knownBounds(5n), smax: 9n };
  t.deepEqual(adjustScalarMinMaxVals(dst, knownBounds(1n), OPS.ADD, false), adjustScalarMinMaxValsFull(dst, knownBounds(1n), OPS.ADD, false));
});
