import test from 'ava';
import fc from 'fast-check';
import { createDebugger } from '@bpfkit/vm';
import { testEnv } from './support/env.js';
import { image } from './support/program.js';
import { r0, runProgram, sharedArena } from './support/run.js';

// The interpreter runs some adjacent pairs as one step (mov then an ALU op
// with an immediate, add then jgt); these pin down that nothing shows.

test('a fused pair computes both halves and counts two instructions', (t) => {
  t.like(runProgram('r1 = 5\nr0 = r1\nr0 += 3\nexit').out, { kind: 'exit', r0: 8n, insnsExecuted: 4 });
  t.is(r0('r1 = 0xf0\nw0 = w1\nw0 >>= 4\nexit'), 0xfn);
  t.is(r0('r1 = -1\nr0 = r1\nr0 &= 0xff\nexit'), 0xffn);
});

test('an instruction limit that ends between the halves stops after the first', (t) => {
  const { out } = runProgram('r1 = 5\nr0 = r1\nr0 += 3\nexit', { insnLimit: 2 });
  t.like(out, { kind: 'fault', fault: { kind: 'insn-limit', pc: 2 }, insnsExecuted: 2 });
});

test('single-stepping shows the state between the halves', (t) => {
  const dbg = createDebugger(image('r1 = 5\nr0 = r1\nr0 += 3\nexit'), testEnv({ arena: sharedArena() }), { r1: 0 });
  dbg.step();
  dbg.step();
  t.is(dbg.pc, 2);
  t.is(dbg.registers[0], 5n);
  dbg.step();
  t.is(dbg.registers[0], 8n);
  dbg.release();
});

test('a jump that lands on the second half runs it alone', (t) => {
  t.is(r0('r0 = 10\nr1 = 2\nif r1 == 2 goto pc+1\nr0 = r1\nr0 += 3\nexit'), 13n);
});

test('add then jgt on the same register branches on the new value', (t) => {
  const prog = (start: number): string => `r0 = 0\nr2 = 5\nr4 = ${start}\nr4 += 2\nif r4 > r2 goto pc+1\nr0 = 1\nexit`;
  t.is(r0(prog(3)), 1n);
  t.is(r0(prog(4)), 0n);
});

const STRAIGHT = [
  (d: number, s: number) => `r${d} = r${s}`,
  (d: number, s: number) => `w${d} = w${s}`,
  (d: number, _s: number, k: number) => `r${d} += ${k}`,
  (d: number, _s: number, k: number) => `r${d} <<= ${k & 63}`,
  (d: number, _s: number, k: number) => `r${d} >>= ${k & 63}`,
  (d: number, _s: number, k: number) => `r${d} &= ${k}`,
  (d: number, _s: number, k: number) => `w${d} += ${k}`,
  (d: number, _s: number, k: number) => `w${d} <<= ${k & 31}`,
  (d: number, _s: number, k: number) => `w${d} >>= ${k & 31}`,
  (d: number, _s: number, k: number) => `w${d} &= ${k}`,
  (d: number, s: number) => `if r${d} > r${s} goto pc+1`,
];

test('runs with fused pairs agree with single-stepping (property)', (t) => {
  const insn = fc.tuple(fc.integer({ min: 0, max: STRAIGHT.length - 1 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: -0x80000000, max: 0x7fffffff }));
  fc.assert(
    fc.property(fc.array(insn, { minLength: 1, maxLength: 30 }), (list) => {
      const body = list.map(([i, d, s, k]) => (STRAIGHT[i] ?? STRAIGHT[0])?.(d, s, k) ?? '').join('\n');
      const text = `r1 = 0x123456789 ll\nr2 = -7\nr3 = 0xff00\nr4 = 3\n${body}\nr0 = 0\nr0 ^= r1\nr0 ^= r2\nr0 ^= r3\nr0 ^= r4\nexit`;
      const img = image(text);
      const ran = runProgram(img).out;
      const dbg = createDebugger(img, testEnv({ arena: sharedArena() }), { r1: 0 });
      dbg.continue();
      const stepped = dbg.outcome;
      dbg.release();
      return ran.kind === 'exit' && stepped?.kind === 'exit' && ran.r0 === stepped.r0 && ran.insnsExecuted === stepped.insnsExecuted;
    }),
    { numRuns: 300 },
  );
  t.pass();
});
