import test from 'ava';
import fc from 'fast-check';
import { r0, u64 } from './support/run.js';
import { ALU_OPS, aluRef, hex64 } from './support/reference.js';

const EDGES = [0n, 1n, 2n, 3n, 7n, 31n, 32n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0xfffffffffffffff9n, 0x123456789abcdefn, 0xfedcba9876543210n, 0x100000001n];

const anyU64 = fc.oneof(fc.constantFrom(...EDGES), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));

function aluProgram(op: string, a: bigint, b: bigint, wide: boolean): string {
  const reg = wide ? 'r' : 'w';
  return `r0 = ${hex64(a)} ll\nr1 = ${hex64(b)} ll\n${reg}0 ${op} ${reg}1\nexit`;
}

test('every ALU64 and ALU32 register op matches the 64-bit model on edge values', (t) => {
  for (const wide of [true, false]) {
    for (const op of ALU_OPS) {
      for (const a of EDGES) {
        for (const b of EDGES) {
          const want = aluRef(op, a, b, wide);
          const got = r0(aluProgram(op, a, b, wide));
          if (got !== want) t.fail(`${wide ? 'r' : 'w'}0 ${op} with ${hex64(a)}, ${hex64(b)}: got ${hex64(got)}, want ${hex64(want)}`);
        }
      }
    }
  }
  t.pass();
});

test('ALU register ops match the model on random values (property)', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...ALU_OPS), anyU64, anyU64, fc.boolean(), (op, a, b, wide) => {
      return r0(aluProgram(op, a, b, wide)) === aluRef(op, a, b, wide);
    }),
    { numRuns: 600 },
  );
  t.pass();
});

test('ALU immediate ops sign-extend imm to 64 bits', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...ALU_OPS), anyU64, fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.boolean(), (op, a, k, wide) => {
      const reg = wide ? 'r' : 'w';
      return r0(`r0 = ${hex64(a)} ll\n${reg}0 ${op} ${k}\nexit`) === aluRef(op, a, u64(k), wide);
    }),
    { numRuns: 600 },
  );
  t.pass();
});

test('64-bit division by zero gives 0 and modulo by zero leaves dst', (t) => {
  t.is(r0('r0 = 0x123456789 ll\nr1 = 0\nr0 /= r1\nexit'), 0n);
  t.is(r0('r0 = 0x123456789 ll\nr1 = 0\nr0 %= r1\nexit'), 0x123456789n);
});

test('32-bit modulo by zero keeps the low word and clears the high one', (t) => {
  t.is(r0('r0 = 0x100000005 ll\nr1 = 0\nw0 %= w1\nexit'), 5n);
  t.is(r0('r0 = 0x100000005 ll\nw0 /= 0\nexit'), 0n);
});

test('sdiv of INT_MIN by -1 is INT_MIN and smod is 0, in both widths', (t) => {
  t.is(r0('r0 = 0x8000000000000000 ll\nr0 s/= -1\nexit'), 0x8000000000000000n);
  t.is(r0('r0 = 0x8000000000000000 ll\nr0 s%= -1\nexit'), 0n);
  t.is(r0('w0 = 0x80000000\nw0 s/= -1\nexit'), 0x80000000n);
  t.is(r0('w0 = 0x80000000\nw0 s%= -1\nexit'), 0n);
});

test('signed division truncates toward zero and the remainder takes the dividend sign', (t) => {
  t.is(r0('r0 = -7\nr0 s/= 2\nexit'), u64(-3));
  t.is(r0('r0 = -7\nr0 s%= 2\nexit'), u64(-1));
  t.is(r0('r0 = 7\nr0 s%= -2\nexit'), 1n);
  t.is(r0('w0 = -7\nw0 s/= 2\nexit'), 0xfffffffdn);
});

test('shift amounts are masked to the operand width', (t) => {
  t.is(r0('r0 = 1\nr1 = 65\nr0 <<= r1\nexit'), 2n);
  t.is(r0('w0 = 4\nw1 = 33\nw0 >>= w1\nexit'), 2n);
  t.is(r0('r0 = 1\nr0 <<= 68\nexit'), 16n, 'an out-of-range immediate (verifier-rejected) is masked too');
});

test('arsh shifts in the sign bit; its 32-bit form zero-extends the result', (t) => {
  t.is(r0('r0 = 0x8000000000000000 ll\nr0 s>>= 60\nexit'), 0xfffffffffffffff8n);
  t.is(r0('w0 = 0x80000000\nw0 s>>= 4\nexit'), 0xf8000000n);
});

test('neg negates; neg32 zero-extends', (t) => {
  t.is(r0('r0 = 5\nr0 = -r0\nexit'), u64(-5));
  t.is(r0('r0 = 5\nw0 = -w0\nexit'), 0xfffffffbn);
  t.is(r0('r0 = 0\nr0 = -r0\nexit'), 0n);
});

test('32-bit results are zero-extended into the whole register', (t) => {
  t.is(r0('r1 = -1\nw0 = w1\nexit'), 0xffffffffn);
  t.is(r0('r0 = -1\nw0 += 1\nexit'), 0n);
  t.is(r0('r0 = -1\nw0 *= 2\nexit'), 0xfffffffen);
});

test('movsx sign-extends 8, 16 and 32 bits into 64, and 8 and 16 into 32', (t) => {
  t.is(r0('r1 = 0x180\nr0 = (s8)r1\nexit'), 0xffffffffffffff80n);
  t.is(r0('r1 = 0x18000\nr0 = (s16)r1\nexit'), 0xffffffffffff8000n);
  t.is(r0('r1 = 0x80000000 ll\nr0 = (s32)r1\nexit'), 0xffffffff80000000n);
  t.is(r0('r1 = 0x80\nw0 = (s8)w1\nexit'), 0xffffff80n);
  t.is(r0('r1 = 0x7fff\nw0 = (s16)w1\nexit'), 0x7fffn);
});

const V = '0x1122334455667788';

test('le16/le32/le64 truncate on a little-endian machine', (t) => {
  t.is(r0(`r0 = ${V} ll\nr0 = le16 r0\nexit`), 0x7788n);
  t.is(r0(`r0 = ${V} ll\nr0 = le32 r0\nexit`), 0x55667788n);
  t.is(r0(`r0 = ${V} ll\nr0 = le64 r0\nexit`), 0x1122334455667788n);
});

test('be16/be32/be64 swap and zero-extend', (t) => {
  t.is(r0(`r0 = ${V} ll\nr0 = be16 r0\nexit`), 0x8877n);
  t.is(r0(`r0 = ${V} ll\nr0 = be32 r0\nexit`), 0x88776655n);
  t.is(r0(`r0 = ${V} ll\nr0 = be64 r0\nexit`), 0x8877665544332211n);
});

test('bswap16/32/64 (ISA v4) swap unconditionally', (t) => {
  t.is(r0(`r0 = ${V} ll\nr0 = bswap16 r0\nexit`), 0x8877n);
  t.is(r0(`r0 = ${V} ll\nr0 = bswap32 r0\nexit`), 0x88776655n);
  t.is(r0(`r0 = ${V} ll\nr0 = bswap64 r0\nexit`), 0x8877665544332211n);
});

test('ld_imm64 loads both halves of the constant', (t) => {
  t.is(r0('r0 = 0xfedcba9876543210 ll\nexit'), 0xfedcba9876543210n);
});

test('mov64 of an immediate sign-extends it; mov32 does not', (t) => {
  t.is(r0('r0 = -2\nexit'), u64(-2));
  t.is(r0('w0 = -2\nexit'), 0xfffffffen);
});
