import test from 'ava';
import type { ProgramImage, RunOutcome } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { createInterpreter, createWasmEngine, wasmLayout } from '@bpfkit/vm';
import { testEnv } from './support/env.js';
import { image } from './support/program.js';

const arena = createVmArena({ initialBytes: 1 << 20 });
const auto = createWasmEngine();
const dispatcher = createWasmEngine({ controlFlow: 'dispatcher' });

function run(engine: typeof auto, img: ProgramImage, r2 = 0): RunOutcome {
  const prog = engine.load(img);
  try {
    return prog.run({ r1: 0, r2 }, testEnv({ arena }));
  } finally {
    prog.release();
  }
}

// A loop with two entries (A and B both reachable from the start): no node
// dominates the other, so no Wasm `loop` can express it directly.
const IRREDUCIBLE = `
r0 = 0
r1 = 6
if r2 == 0 goto +3
r0 += 1
r1 -= 1
if r1 == 0 goto +3
r0 += 10
r1 -= 1
if r1 != 0 goto -6
exit`;

test('an irreducible loop falls back to the br_table dispatcher and runs correctly', (t) => {
  const img = image(IRREDUCIBLE);
  const prog = auto.load(img);
  t.is(wasmLayout(prog)?.get(0), 'dispatcher');
  prog.release();
  for (const r2 of [0, 1]) {
    const out = run(auto, img, r2);
    t.deepEqual(out, run(createInterpreter(), img, r2));
    t.is(out.kind === 'exit' ? out.r0 : -1n, 33n);
  }
});

test('reducible control flow is structured (Ramsey), nested loops included', (t) => {
  const nested = image(`
r0 = 0
r1 = 0
r2 = 0
r0 += r2
r2 += 1
if r2 < 5 goto -3
r1 += 1
if r1 < 4 goto -6
exit`);
  const prog = auto.load(nested);
  t.is(wasmLayout(prog)?.get(0), 'structured');
  prog.release();
  t.deepEqual(run(auto, nested), run(createInterpreter(), nested));
});

test('the dispatcher gives the same results as structured code', (t) => {
  const programs = [
    IRREDUCIBLE,
    'r0 = 0\nr1 = 10\nr0 += r1\nr1 -= 1\nif r1 != 0 goto -3\nexit',
    'r0 = 1\nif r1 == 0 goto +2\nr0 = 2\ngoto +1\nr0 = 3\nif r0 > 2 goto +1\nr0 += 100\nexit',
    'r0 = 0\nif r0 == 0 goto +0\nexit',
  ];
  for (const p of programs) {
    const img = image(p);
    t.deepEqual(run(dispatcher, img), run(auto, img));
    const prog = dispatcher.load(img);
    t.is(wasmLayout(prog)?.get(0), 'dispatcher');
    prog.release();
  }
});

test('a diamond with shared merge points is structured and correct for every path', (t) => {
  const text = `
r0 = 0
if r2 & 1 goto +2
r0 += 1
goto +1
r0 += 2
if r2 & 2 goto +2
r0 += 10
goto +1
r0 += 20
exit`;
  for (let r2 = 0; r2 < 4; r2++) t.deepEqual(run(auto, image(text), r2), run(createInterpreter(), image(text), r2));
});

test('may_goto falls through BPF_MAX_LOOPS times, then takes its branch', (t) => {
  const out = run(auto, image('r0 = 0\nmay_goto +2\nr0 += 1\ngoto -3\nexit'));
  t.is(out.kind === 'exit' ? out.r0 : -1n, 8n * 1024n * 1024n);
});

test('each frame gets its own may_goto budget', (t) => {
  // main: call f twice, adding the results; f counts may_goto fall-throughs.
  const out = run(auto, image(`
call pc+4
r6 = r0
call pc+2
r0 += r6
exit
r0 = 0
may_goto +2
r0 += 1
goto -3
exit`));
  t.is(out.kind === 'exit' ? out.r0 : -1n, 2n * 8n * 1024n * 1024n);
});

test('a dominator tree as deep as the program is structured without host recursion', (t) => {
  const n = 20000;
  const lines = ['r0 = 0'];
  for (let i = 0; i < n; i++) lines.push('if r2 == 7 goto +1', 'r0 += 1');
  lines.push('exit');
  const img = image(lines.join('\n'));
  const prog = auto.load(img);
  t.is(wasmLayout(prog)?.get(0), 'structured');
  prog.release();
  const out = run(auto, img);
  t.is(out.kind === 'exit' ? out.r0 : -1n, BigInt(n));
});
