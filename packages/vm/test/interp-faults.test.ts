import test from 'ava';
import { isBpfError } from '@bpfkit/kernel-api';
import { createInterpreter } from '@bpfkit/vm';
import { testEnv } from './support/env.js';
import { image, rawImage, slots } from './support/program.js';
import { runProgram, sharedArena } from './support/run.js';

test('the engine is named interp', (t) => {
  t.is(createInterpreter().name, 'interp');
});

test('createInterpreter rejects unknown options', (t) => {
  t.throws(() => createInterpreter({ fast: true } as never), { instanceOf: TypeError });
});

test('load refuses bytes that are not whole instructions with EINVAL', (t) => {
  const e = t.throws(() => createInterpreter().load(rawImage(new Uint8Array(12))));
  t.true(isBpfError(e, 'EINVAL'));
});

test('load refuses an ld_imm64 missing its second half with EINVAL', (t) => {
  const e = t.throws(() => createInterpreter().load(rawImage(slots([0x18, 0, 0, 0, 1]))));
  t.true(isBpfError(e, 'EINVAL'));
});

test('load accepts anything else; what cannot run faults when reached', (t) => {
  const prog = createInterpreter().load(rawImage(slots([0xb7, 0, 0, 0, 1], [0x95, 0, 0, 0, 0], [0xff, 0, 0, 0, 0])));
  t.like(prog.run({ r1: 0 }, testEnv({ arena: sharedArena() })), { kind: 'exit', r0: 1n });
});

test('an unknown opcode is an invalid-insn fault naming it', (t) => {
  t.like(runProgram(rawImage(slots([0xb7, 0, 0, 0, 0], [0xff, 0, 0, 0, 0]))).out, {
    kind: 'fault',
    fault: { kind: 'invalid-insn', pc: 1, message: 'unknown opcode ff (pc 1)' },
  });
});

test('a register beyond r10 is an invalid-insn fault', (t) => {
  t.like(runProgram(rawImage(slots([0xb7, 11, 0, 0, 0], [0x95, 0, 0, 0, 0]))).out, { kind: 'fault', fault: { kind: 'invalid-insn', pc: 0 } });
});

test('a division with an offset other than 0 or 1 is an invalid-insn fault', (t) => {
  t.like(runProgram(rawImage(slots([0x37, 0, 0, 2, 1], [0x95, 0, 0, 0, 0]))).out, { kind: 'fault', fault: { kind: 'invalid-insn', pc: 0 } });
});

test('an unresolved map ld_imm64 (src 1) is an invalid-insn fault', (t) => {
  t.like(runProgram(rawImage(slots([0x18, 1, 1, 0, 3], [0, 0, 0, 0, 0], [0x95, 0, 0, 0, 0]))).out, { kind: 'fault', fault: { kind: 'invalid-insn', pc: 0 } });
});

test('a jump past the end is a bad-jump fault at the jump', (t) => {
  t.like(runProgram(rawImage(slots([0xb7, 0, 0, 0, 0], [0x05, 0, 0, 5, 0], [0x95, 0, 0, 0, 0]))).out, { kind: 'fault', fault: { kind: 'bad-jump', pc: 1 } });
});

test('a jump before the start is a bad-jump fault', (t) => {
  t.like(runProgram(rawImage(slots([0x05, 0, 0, -2, 0], [0x95, 0, 0, 0, 0]))).out, { kind: 'fault', fault: { kind: 'bad-jump', pc: 0 } });
});

test('a jump into the second half of an ld_imm64 is a bad-jump fault', (t) => {
  t.like(runProgram(rawImage(slots([0x05, 0, 0, 1, 0], [0x18, 0, 0, 0, 1], [0, 0, 0, 0, 0], [0x95, 0, 0, 0, 0]))).out, { kind: 'fault', fault: { kind: 'bad-jump', pc: 0 } });
});

test('a call whose target is outside the program is a bad-jump fault', (t) => {
  t.like(runProgram(rawImage(slots([0x85, 0, 1, 0, 10], [0x95, 0, 0, 0, 0]))).out, { kind: 'fault', fault: { kind: 'bad-jump', pc: 0 } });
});

test('falling off the end is a bad-jump fault one past the last instruction', (t) => {
  t.like(runProgram(image('r0 = 0\nr0 += 1')).out, { kind: 'fault', fault: { kind: 'bad-jump', pc: 2, message: 'fell off the end of the program (pc 2)' } });
});

test('an empty program faults at pc 0', (t) => {
  t.like(runProgram(rawImage(new Uint8Array(0))).out, { kind: 'fault', fault: { kind: 'bad-jump', pc: 0 } });
});

test('insnLimit stops an endless loop with an insn-limit fault after exactly that many instructions', (t) => {
  const { out } = runProgram('r0 = 0\nloop: r0 += 1\ngoto loop', { insnLimit: 1000 });
  t.like(out, { kind: 'fault', fault: { kind: 'insn-limit' }, insnsExecuted: 1000 });
});

test('a program that needs exactly insnLimit instructions completes', (t) => {
  t.like(runProgram('r0 = 3\nexit', { insnLimit: 2 }).out, { kind: 'exit', r0: 3n, insnsExecuted: 2 });
});

test('the engine option insnLimit applies when the env sets none', (t) => {
  const engine = createInterpreter({ insnLimit: 50 });
  t.like(runProgram('loop: goto loop', { engine }).out, { kind: 'fault', fault: { kind: 'insn-limit' }, insnsExecuted: 50 });
});

test('insnsExecuted counts ld_imm64 once and includes exit', (t) => {
  t.like(runProgram('r0 = 0x100000000 ll\nexit').out, { kind: 'exit', insnsExecuted: 2 });
});

test('release frees the stack the program took in the arena', (t) => {
  const arena = sharedArena();
  const before = arena.allocatedBytes;
  const prog = createInterpreter().load(image('r0 = 0\nexit'));
  prog.run({ r1: 0 }, testEnv({ arena }));
  t.true(arena.allocatedBytes > before);
  prog.release();
  t.is(arena.allocatedBytes, before);
});

test('running a released program is a caller error', (t) => {
  const prog = createInterpreter().load(image('r0 = 0\nexit'));
  prog.release();
  t.throws(() => prog.run({ r1: 0 }, testEnv({ arena: sharedArena() })));
});

test('a program runs with r1 and r2 from the arguments and the other registers zero', (t) => {
  const prog = createInterpreter().load(image('r0 = r1\nr0 += r2\nr0 += r3\nr0 += r9\nexit'));
  t.like(prog.run({ r1: 40, r2: 2 }, testEnv({ arena: sharedArena() })), { kind: 'exit', r0: 42n });
  t.like(prog.run({ r1: 1 }, testEnv({ arena: sharedArena() })), { kind: 'exit', r0: 1n });
});
