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

const PACKET_LOOP = `
  r2 += r1
  r0 = 0
  r3 = r1
  r6 = 0
loop:
  if r6 >= 6 goto done
  r4 = r3
  r4 += 2
  if r4 > r2 goto done
  r5 = *(u8 *)(r3 +0)
  r0 += r5
  r3 = r4
  r6 += 1
  goto loop
done:
  exit`;

test('the bounds-check triple and the goto-to-loop-header pair give the plain results', (t) => {
  const mem = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // bytes 0, 2, 4, 6, 8 are summed; the sixth step would pass the end
  t.like(runProgram(PACKET_LOOP, { mem }).out, { kind: 'exit', r0: 1n + 3n + 5n + 7n + 9n });
});

for (const verified of [false, true]) {
  test(`every instruction limit stops a run with fused instructions where single-stepping stops (${verified ? 'verified' : 'unverified'})`, (t) => {
    const mem = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const full = runProgram(PACKET_LOOP, { mem, verified }).out;
    for (let limit = 1; limit < full.insnsExecuted; limit++) {
      const arena = sharedArena();
      const at = arena.alloc(mem.length);
      arena.bytes.set(mem, at);
      const ran = runProgram(PACKET_LOOP, { mem, insnLimit: limit, verified }).out;
      const dbg = createDebugger(image(PACKET_LOOP, { verified }), testEnv({ arena, insnLimit: limit }), { r1: at, r2: mem.length });
      dbg.continue();
      const stepped = dbg.outcome;
      dbg.release();
      if (ran.kind !== 'fault' || stepped?.kind !== 'fault' || ran.fault.pc !== stepped.fault.pc || ran.insnsExecuted !== limit || stepped.insnsExecuted !== limit) {
        t.fail(`limit ${limit}: run ${JSON.stringify(ran, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}, stepped ${stepped?.kind ?? 'none'}`);
        return;
      }
    }
    t.pass();
  });
}

test('a goto to a `>` loop header runs the header test', (t) => {
  // 1 + 5 × (test, add, goto) + final test + exit
  t.like(runProgram('r0 = 0\nloop: if r0 > 4 goto done\nr0 += 1\ngoto loop\ndone: exit').out, { kind: 'exit', r0: 5n, insnsExecuted: 1 + 15 + 2 });
});

test('a load fused with the ALU op that uses it gives the plain results for every op', (t) => {
  const mem = Uint8Array.from([0xf0, 0x0f, 0x00, 0x80, 0x01, 0x02, 0x03, 0x04]);
  const ops: [string, bigint][] = [
    ['r0 += r3', 0x1_0000_00efn + 0xf0n],
    ['w0 += w3', (0xefn + 0xf0n) & 0xffffffffn],
    ['r0 ^= r3', 0x1_0000_00efn ^ 0xf0n],
    ['w0 ^= w3', 0xefn ^ 0xf0n],
    ['r0 |= r3', 0x1_0000_00efn | 0xf0n],
    ['w0 |= w3', 0xefn | 0xf0n],
  ];
  for (const [op, want] of ops) t.is(r0(`r0 = 0x1000000ef ll\nr3 = *(u8 *)(r1 +0)\n${op}\nexit`, { mem, verified: true }), want, op);
  t.is(r0('r0 = -1\nr3 = *(u16 *)(r1 +0)\nr0 += r3\nexit', { mem, verified: true }), 0x0ff0n - 1n);
  t.is(r0('r0 = 1\nr3 = *(u32 *)(r1 +0)\nr0 += r3\nexit', { mem, verified: true }), 0x80000ff0n + 1n);
});

test('a fused load that faults reports the load and counts only it', (t) => {
  const { out } = runProgram('r0 = 0\nr3 = *(u8 *)(r0 +0)\nr0 += r3\nexit', { verified: true });
  t.like(out, { kind: 'fault', fault: { kind: 'memory', pc: 1, addr: 0, size: 1 }, insnsExecuted: 2 });
});

test('a 2- or 4-byte load followed by be16/be32 of it reads big-endian', (t) => {
  const mem = Uint8Array.from([0x12, 0x34, 0x56, 0x78]);
  t.is(r0('r0 = *(u16 *)(r1 +0)\nr0 = be16 r0\nexit', { mem, verified: true }), 0x1234n);
  t.is(r0('r0 = *(u32 *)(r1 +0)\nr0 = be32 r0\nexit', { mem, verified: true }), 0x12345678n);
  t.like(runProgram('r0 = *(u32 *)(r1 +0)\nr0 = be32 r0\nexit', { mem, verified: true, insnLimit: 1 }).out, { kind: 'fault', fault: { kind: 'insn-limit', pc: 1 }, insnsExecuted: 1 });
});

test('the loop latch (add then jlt with an immediate) counts and branches like the plain pair', (t) => {
  t.like(runProgram('r0 = 0\nr1 = 0\nloop: r0 += 3\nr1 += 1\nif r1 < 4 goto loop\nexit').out, { kind: 'exit', r0: 12n, insnsExecuted: 2 + 4 * 3 + 1 });
  t.like(runProgram('r0 = 0\nr1 = 0\nloop: r0 += 3\nr1 += 1\nif r1 < 4 goto loop\nexit', { insnLimit: 4 }).out, { kind: 'fault', fault: { kind: 'insn-limit', pc: 4 }, insnsExecuted: 4 });
  t.is(r0('r1 = -2\nr1 += 1\nif r1 < 5 goto pc+1\nr0 = 7\nexit'), 7n, 'unsigned: -1 is not below 5');
});
