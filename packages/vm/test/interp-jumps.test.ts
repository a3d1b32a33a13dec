import test from 'ava';
import fc from 'fast-check';
import { BPF_MAX_LOOPS } from '@bpfkit/vm';
import { r0, runProgram, u64 } from './support/run.js';
import { hex64, JMP_OPS, jmpRef } from './support/reference.js';

const EDGES = [0n, 1n, 2n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x1ffffffffn, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0xfffffffffffffffen, 0xffffffff00000000n];
const anyU64 = fc.oneof(fc.constantFrom(...EDGES), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));

/** r0 = 1 when `if r1 op r2` (or w1/w2) branches, else 0. */
function jmpProgram(op: string, a: bigint, b: bigint, wide: boolean): string {
  const reg = wide ? 'r' : 'w';
  return `r0 = 1\nr1 = ${hex64(a)} ll\nr2 = ${hex64(b)} ll\nif ${reg}1 ${op} ${reg}2 goto pc+1\nr0 = 0\nexit`;
}

test('every JMP and JMP32 condition with a register matches the model on edge values', (t) => {
  for (const wide of [true, false]) {
    for (const op of JMP_OPS) {
      for (const a of EDGES) {
        for (const b of EDGES) {
          const want = jmpRef(op, a, b, wide) ? 1n : 0n;
          const got = r0(jmpProgram(op, a, b, wide));
          if (got !== want) t.fail(`if ${wide ? 'r' : 'w'}1 ${op} with ${hex64(a)}, ${hex64(b)}: got ${got}`);
        }
      }
    }
  }
  t.pass();
});

test('jump conditions with an immediate compare against the sign-extended imm (property)', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...JMP_OPS), anyU64, fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.boolean(), (op, a, k, wide) => {
      const reg = wide ? 'r' : 'w';
      const prog = `r0 = 1\nr1 = ${hex64(a)} ll\nif ${reg}1 ${op} ${k} goto pc+1\nr0 = 0\nexit`;
      return r0(prog) === (jmpRef(op, a, u64(k), wide) ? 1n : 0n);
    }),
    { numRuns: 800 },
  );
  t.pass();
});

test('jump conditions with a register match the model on random values (property)', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...JMP_OPS), anyU64, anyU64, fc.boolean(), (op, a, b, wide) => {
      return r0(jmpProgram(op, a, b, wide)) === (jmpRef(op, a, b, wide) ? 1n : 0n);
    }),
    { numRuns: 800 },
  );
  t.pass();
});

test('ja jumps by off, backwards too', (t) => {
  t.is(r0('r0 = 0\ngoto pc+2\nr0 = 1\nexit\nr0 += 2\nexit'), 2n);
  t.is(r0('r0 = 0\ngoto pc+3\nr0 += 5\nr0 += 1\nexit\ngoto pc-4'), 6n);
});

test('gotol (JMP32 | JA, ISA v4) takes its offset from imm', (t) => {
  t.is(r0('r0 = 0\ngotol pc+2\nr0 = 1\nexit\nr0 = 3\nexit'), 3n);
});

test('a loop runs until its condition fails', (t) => {
  t.is(r0('r0 = 0\nr1 = 10\nloop: r0 += r1\nr1 -= 1\nif r1 != 0 goto loop\nexit'), 55n);
});

test('may_goto falls through BPF_MAX_LOOPS times, then branches', (t) => {
  // r0 counts the fall-throughs of an otherwise endless loop.
  const { out } = runProgram('r0 = 0\nloop: may_goto pc+2\nr0 += 1\ngoto loop\nexit');
  t.is(out.kind, 'exit');
  if (out.kind === 'exit') {
    t.is(out.r0, BigInt(BPF_MAX_LOOPS));
    t.is(BPF_MAX_LOOPS, 8 * 1024 * 1024);
  }
});

test('may_goto budgets are per frame: a subprogram called again starts with a fresh one', (t) => {
  const prog = [
    'r6 = 0',
    'call pc+4', // count()
    'r6 += r0',
    'call pc+2',
    'r0 += r6',
    'exit',
    // count(): loops until its own may_goto budget is spent
    'r0 = 0',
    'may_goto pc+2',
    'r0 += 1',
    'goto pc-3',
    'exit',
  ].join('\n');
  t.is(r0(prog), BigInt(2 * BPF_MAX_LOOPS));
});
