import test from 'ava';
import { createDebugger } from '@bpfkit/vm';
import { testEnv } from './support/env.js';
import { image } from './support/program.js';
import { sharedArena } from './support/run.js';

const PROG = 'r0 = 1\nr1 = 2\nr0 += r1\ncall sub\nexit\nsub: r0 *= 10\nexit';
const env = (): ReturnType<typeof testEnv> => testEnv({ arena: sharedArena() });

test('nothing has run before the first step', (t) => {
  const dbg = createDebugger(image(PROG), env(), { r1: 0 });
  t.is(dbg.pc, 0);
  t.is(dbg.insnsExecuted, 0);
  t.is(dbg.outcome, undefined);
  t.is(dbg.registers.length, 11);
  dbg.release();
});

test('step runs one instruction and shows the new registers', (t) => {
  const dbg = createDebugger(image(PROG), env(), { r1: 0 });
  t.is(dbg.step(), 'step');
  t.is(dbg.pc, 1);
  t.is(dbg.registers[0], 1n);
  t.is(dbg.disassemble(), 'r1 = 2');
  dbg.release();
});

test('continue stops before a breakpoint, then runs to exit', (t) => {
  const dbg = createDebugger(image(PROG), env(), { r1: 0 }, { breakpoints: [5] });
  t.is(dbg.continue(), 'breakpoint');
  t.is(dbg.pc, 5);
  t.is(dbg.frame, 1);
  t.is(dbg.registers[0], 3n);
  t.is(dbg.continue(), 'exit');
  t.like(dbg.outcome, { kind: 'exit', r0: 30n, insnsExecuted: 7 });
  t.is(dbg.step(), 'exit');
  dbg.release();
});

test('breakpoints can be added and removed between steps', (t) => {
  const dbg = createDebugger(image(PROG), env(), { r1: 0 });
  dbg.breakpoints.add(2);
  dbg.breakpoints.add(6);
  t.is(dbg.continue(), 'breakpoint');
  t.is(dbg.pc, 2);
  dbg.breakpoints.delete(6);
  t.is(dbg.continue(), 'exit');
  dbg.release();
});

test('trace records each executed instruction in kernel syntax with the registers it changed', (t) => {
  const dbg = createDebugger(image(PROG), env(), { r1: 0 }, { trace: true });
  t.is(dbg.continue(), 'exit');
  t.deepEqual(dbg.trace.map((e) => [e.pc, e.insn, e.frame]), [
    [0, 'r0 = 1', 0],
    [1, 'r1 = 2', 0],
    [2, 'r0 += r1', 0],
    [3, 'call pc+1', 0],
    [5, 'r0 *= 10', 1],
    [6, 'exit', 1],
    [4, 'exit', 0],
  ]);
  t.deepEqual(dbg.trace[2]?.changed, [{ reg: 0, value: 3n }]);
  t.deepEqual(dbg.trace[4]?.changed, [{ reg: 0, value: 30n }]);
  t.is(dbg.trace[3]?.changed.length, 1, 'the call changes r10 only');
  t.is(dbg.trace[3]?.changed[0]?.reg, 10);
  dbg.release();
});

test('without trace, nothing is recorded', (t) => {
  const dbg = createDebugger(image(PROG), env(), { r1: 0 });
  dbg.continue();
  t.deepEqual(dbg.trace, []);
  dbg.release();
});

test('a fault under the debugger stops with the fault outcome', (t) => {
  const dbg = createDebugger(image('r1 = 0\nr0 = *(u8 *)(r1 +0)\nexit'), env(), { r1: 0 }, { trace: true });
  t.is(dbg.continue(), 'fault');
  t.like(dbg.outcome, { kind: 'fault', fault: { kind: 'memory', pc: 1 } });
  t.is(dbg.trace.length, 2);
  dbg.release();
});

test('the debugger honours the env instruction limit', (t) => {
  const dbg = createDebugger(image('loop: goto loop'), testEnv({ arena: sharedArena(), insnLimit: 10 }), { r1: 0 });
  t.is(dbg.continue(), 'fault');
  t.like(dbg.outcome, { kind: 'fault', fault: { kind: 'insn-limit' }, insnsExecuted: 10 });
  dbg.release();
});
