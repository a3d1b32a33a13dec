// `boundsSync` skips the kernel's arithmetic for constants, unknown scalars and small non-negative
// ranges. Each shortcut must give exactly what `reg_bounds_sync` computes step by step.
import test from 'ava';
import fc from 'fast-check';
import { boundsSync, boundsSyncFull, type Bounds } from '../dist/verifier/bounds.js';
import { boundsSyncHalves } from '../dist/verifier/bounds-sync-halves.js';

const U64 = (1n << 64n) - 1n;
const S64_MIN = -(1n << 63n), S64_MAX = (1n << 63n) - 1n;
const S32_MIN = -(1n << 31n), S32_MAX = (1n << 31n) - 1n;

/** Numbers near the edges the shortcuts test: small ones, around S32_MAX and U32_MAX, and large ones. */
const edge = fc.oneof(
  fc.bigInt({ min: 0n, max: 300n }),
  fc.bigInt({ min: S32_MAX - 4n, max: S32_MAX + 4n }),
  fc.bigInt({ min: 0xfffffff0n, max: 0x100000010n }),
  fc.bigInt({ min: 0n, max: U64 }),
);
const pair = (lo: bigint, hi: bigint): fc.Arbitrary<[bigint, bigint]> =>
  fc.tuple(fc.oneof(edge, fc.constant(lo)), fc.oneof(edge, fc.constant(hi)))
    .map(([a, b]): [bigint, bigint] => (a <= b ? [a, b] : [b, a]));

const bounds: fc.Arbitrary<Bounds> = fc.record({
  value: edge, mask: edge, u: pair(0n, U64), s: pair(S64_MIN, S64_MAX), u32: pair(0n, 0xffffffffn), s32: pair(S32_MIN, S32_MAX),
}).map(({ value, mask, u, s, u32, s32 }) => ({
  varOff: { value: value & ~mask & U64, mask },
  umin: u[0], umax: u[1],
  smin: BigInt.asIntN(64, s[0]), smax: BigInt.asIntN(64, s[1]),
  u32min: u32[0] & 0xffffffffn, u32max: u32[1] & 0xffffffffn,
  s32min: BigInt.asIntN(32, s32[0]), s32max: BigInt.asIntN(32, s32[1]),
}));

const copy = (b: Bounds): Bounds => ({ ...b, varOff: { ...b.varOff } });

test('every shortcut of boundsSync equals reg_bounds_sync step by step', (t) => {
  fc.assert(fc.property(bounds, (b) => {
    const fast = copy(b), full = copy(b);
    boundsSync(fast);
    boundsSyncFull(full);
    t.deepEqual(fast, full);
  }), { numRuns: 20000 });
});

test('reg_bounds_sync in number halves equals it in bigints, or leaves the bounds alone', (t) => {
  fc.assert(fc.property(bounds, (b) => {
    const halves = copy(b), full = copy(b);
    boundsSyncFull(full);
    if (boundsSyncHalves(halves)) t.deepEqual(halves, full);
    else t.deepEqual(halves, b);
  }), { numRuns: 50000 });
});

test('a constant collapses every range to itself; an unknown scalar stays unknown', (t) => {
  const k: Bounds = { varOff: { value: 7n, mask: 0n }, umin: 0n, umax: 100n, smin: -5n, smax: 9n, u32min: 0n, u32max: 7n, s32min: 7n, s32max: 7n };
  boundsSync(k);
  t.deepEqual([k.umin, k.umax, k.smin, k.smax, k.u32min, k.u32max, k.s32min, k.s32max], [7n, 7n, 7n, 7n, 7n, 7n, 7n, 7n]);
  const u: Bounds = { varOff: { value: 0n, mask: U64 }, umin: 0n, umax: U64, smin: S64_MIN, smax: S64_MAX, u32min: 0n, u32max: 0xffffffffn,
    s32min: S32_MIN, s32max: S32_MAX };
  const before = copy(u);
  boundsSync(u);
  t.deepEqual(u, before);
});

test('a small range meets its known bits: [3, 300] with var_off (0x0; 0xfe) is [3, 254]', (t) => {
  const b: Bounds = { varOff: { value: 0n, mask: 0xfen }, umin: 3n, umax: 300n, smin: 3n, smax: 300n, u32min: 3n, u32max: 300n, s32min: 3n, s32max: 300n };
  const full = copy(b);
  boundsSync(b);
  boundsSyncFull(full);
  t.deepEqual(b, full);
  t.is(b.umin, 3n);
  t.is(b.smax, 254n);
});
