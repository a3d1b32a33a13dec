import test from 'ava';
import type { ExecutionEngine, HelperRegistry, ProgramImage, RunOutcome } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { createInterpreter, createWasmEngine } from '@bpfkit/vm';
import { testEnv, testHelper, testRegistry } from './support/env.js';
import { image, rawImage, slots } from './support/program.js';

const arena = createVmArena({ initialBytes: 1 << 20 });
const wasm = createWasmEngine();

interface Opts {
  readonly insnLimit?: number;
  readonly helpers?: HelperRegistry;
  readonly r1?: number;
  readonly engine?: ExecutionEngine;
}

function run(program: string | ProgramImage, opts: Opts = {}): RunOutcome {
  const prog = (opts.engine ?? wasm).load(typeof program === 'string' ? image(program) : program);
  try {
    return prog.run({ r1: opts.r1 ?? 0 }, testEnv({ arena, ...(opts.insnLimit === undefined ? {} : { insnLimit: opts.insnLimit }), ...(opts.helpers === undefined ? {} : { helpers: opts.helpers }) }));
  } finally {
    prog.release();
  }
}

function fault(out: RunOutcome): { kind: string; pc: number; addr?: number; size?: number } {
  if (out.kind !== 'fault') throw new Error(`expected a fault, got r0 ${out.r0}`);
  const { kind, pc, addr, size } = out.fault;
  return { kind, pc, ...(addr === undefined ? {} : { addr }), ...(size === undefined ? {} : { size }) };
}

/** The fault on the JIT, after checking the interpreter faults the same way (kind and pc). */
function sameFault(program: string | ProgramImage, opts: Opts = {}): { kind: string; pc: number; addr?: number; size?: number } {
  const got = fault(run(program, opts));
  const want = fault(run(program, { ...opts, engine: createInterpreter() }));
  if (got.kind !== want.kind || got.pc !== want.pc) throw new Error(`interp faults ${want.kind} at ${want.pc}, wasm ${got.kind} at ${got.pc}`);
  return got;
}

test('an unverified load from NULL is a memory fault with pc, address and size', (t) => {
  t.deepEqual(sameFault('r0 = 1\nr0 = *(u32 *)(r1 + 16)\nexit'), { kind: 'memory', pc: 1, addr: 16, size: 4 });
});

test('an unverified store past the end of its allocation faults even inside the arena', (t) => {
  const addr = arena.alloc(8);
  t.deepEqual(sameFault('*(u64 *)(r1 + 8) = 1\nr0 = 0\nexit', { r1: addr }), { kind: 'memory', pc: 0, addr: addr + 8, size: 8 });
  arena.free(addr);
});

test('an unverified store into freed memory faults', (t) => {
  const addr = arena.alloc(16);
  arena.free(addr);
  t.is(sameFault('*(u8 *)(r1 + 0) = 1\nr0 = 0\nexit', { r1: addr }).kind, 'memory');
});

test('unverified atomics are checked too', (t) => {
  t.deepEqual(sameFault('r2 = 1\nlock *(u64 *)(r1 + 0) += r2\nr0 = 0\nexit'), { kind: 'memory', pc: 1, addr: 0, size: 8 });
});

test('a verified image still faults below the guard and past the arena, with the pc', (t) => {
  t.deepEqual(fault(run(image('r0 = *(u64 *)(r1 + 8)\nexit', { verified: true }))), { kind: 'memory', pc: 0, addr: 8, size: 8 });
  const end = arena.bytes.length;
  t.deepEqual(fault(run(image('r0 = 0\n*(u32 *)(r1 - 2) = 0\nexit', { verified: true }), { r1: end })), { kind: 'memory', pc: 1, addr: end - 2, size: 4 });
  t.is(fault(run(image('r1 = 0x100000010 ll\nr0 = *(u8 *)(r1 + 0)\nexit', { verified: true }))).kind, 'memory');
});

test('an unknown opcode is an invalid-insn fault where it is reached, not at load', (t) => {
  const img = rawImage(slots([0xb7, 0, 0, 0, 0], [0x15, 0, 0, 1, 0], [0xff, 0, 0, 0, 0], [0x95, 0, 0, 0, 0]));
  const out = run(img);
  t.is(out.kind, 'exit');
  t.deepEqual(sameFault(rawImage(slots([0xb7, 0, 0, 0, 1], [0x15, 0, 0, 1, 0], [0xff, 0, 0, 0, 0], [0x95, 0, 0, 0, 0]))), { kind: 'invalid-insn', pc: 2 });
});

test('registers above r10 are invalid instructions', (t) => {
  t.deepEqual(sameFault(rawImage(slots([0xb7, 11, 0, 0, 1], [0x95, 0, 0, 0, 0]))), { kind: 'invalid-insn', pc: 0 });
});

test('a jump outside the program faults at the jump, even when not taken', (t) => {
  t.deepEqual(sameFault('r0 = 0\nif r0 == 1 goto +100\nexit'), { kind: 'bad-jump', pc: 1 });
});

test('a jump into the middle of ld_imm64 is a bad jump', (t) => {
  t.deepEqual(sameFault('r0 = 0\ngoto +1\nr1 = 0x100000000 ll\nexit'), { kind: 'bad-jump', pc: 1 });
});

test('falling off the end of the program faults one past the last slot', (t) => {
  t.deepEqual(sameFault('r0 = 0\nr0 += 1'), { kind: 'bad-jump', pc: 2 });
});

test('a bpf-to-bpf call outside the program is a bad jump at the call', (t) => {
  t.deepEqual(sameFault('call pc+10\nexit'), { kind: 'bad-jump', pc: 0 });
});

test('the ninth nested frame is a call-depth fault at the call', (t) => {
  // Every frame calls the next subprogram: frames 0..7 exist, the call from frame 7 faults.
  const text = ['call pc+1', 'exit'].concat(...Array.from({ length: 8 }, () => ['call pc+1', 'exit'])).join('\n');
  t.deepEqual(sameFault(`r0 = 0\n${text}`), { kind: 'call-depth', pc: 15 });
});

test('unbounded recursion stops with call-depth, not a host stack overflow', (t) => {
  t.deepEqual(sameFault('call pc-1\nexit'), { kind: 'call-depth', pc: 0 });
});

test('the instruction limit stops the run at the exact instruction, after exactly that many', (t) => {
  const loop = 'r0 = 0\nr1 = 10\nr0 += r1\nr1 -= 1\nif r1 != 0 goto -3\nexit';
  for (const limit of [1, 2, 5, 7, 12]) {
    const out = run(loop, { insnLimit: limit });
    const ref = run(loop, { insnLimit: limit, engine: createInterpreter() });
    t.is(out.kind, 'fault');
    t.is(out.insnsExecuted, limit);
    t.deepEqual(fault(out), fault(ref));
  }
  const full = run(loop, { insnLimit: 33 });
  t.deepEqual(full, { kind: 'exit', r0: 55n, insnsExecuted: 33 });
});

test('the instruction count without a limit is exact', (t) => {
  t.deepEqual(run('r0 = 0\nr1 = 10\nr0 += r1\nr1 -= 1\nif r1 != 0 goto -3\nexit'), { kind: 'exit', r0: 55n, insnsExecuted: 33 });
});

test('an unknown helper is a helper fault at the call', (t) => {
  t.deepEqual(sameFault('r0 = 0\ncall 77\nexit'), { kind: 'helper', pc: 1 });
});

test('HelperEnv.fault stops the run with a helper fault at the call', (t) => {
  const helpers = testRegistry([testHelper(1, 'bad', (c) => c.env.fault('no such map'))]);
  const out = run('r0 = 0\ncall 1\nexit', { helpers });
  t.deepEqual(fault(out), { kind: 'helper', pc: 1 });
  t.regex(out.kind === 'fault' ? out.fault.message : '', /no such map/);
});

test('an exception thrown by a helper becomes a helper fault, never a foreign exception', (t) => {
  const helpers = testRegistry([
    testHelper(1, 'boom', () => {
      throw new TypeError('boom');
    }),
  ]);
  t.deepEqual(fault(run('call 1\nexit', { helpers })), { kind: 'helper', pc: 0 });
});

test('a host stack overflow inside a helper becomes a fault', (t) => {
  const recurse = (n: number): number => recurse(n + 1) + 1;
  const helpers = testRegistry([testHelper(1, 'deep', () => recurse(0))]);
  t.is(fault(run('call 1\nexit', { helpers })).kind, 'helper');
});

test('a faulted run leaves the engine usable', (t) => {
  const prog = wasm.load(image('r0 = *(u8 *)(r1 + 0)\nexit'));
  const env = testEnv({ arena });
  t.is(prog.run({ r1: 0 }, env).kind, 'fault');
  const addr = arena.alloc(8);
  arena.bytes[addr] = 9;
  t.deepEqual(prog.run({ r1: addr }, env), { kind: 'exit', r0: 9n, insnsExecuted: 2 });
  arena.free(addr);
  prog.release();
});

test('a truncated ld_imm64 cannot be loaded (EINVAL)', (t) => {
  t.throws(() => wasm.load(rawImage(slots([0x18, 0, 0, 0, 1]))), { message: /ld_imm64/ });
});

test('a WebAssembly trap becomes a memory fault, never a RuntimeError', (t) => {
  // No verified program writes r10; an image that claims to be verified and does gets r10-based
  // accesses unchecked, so Wasm's own bounds check traps.
  const out = run(image('r10 = 0x7fff0000 ll\nr0 = *(u64 *)(r10 + 0)\nexit', { verified: true }));
  t.is(out.kind, 'fault');
  t.is(out.kind === 'fault' ? out.fault.kind : '', 'memory');
  t.regex(out.kind === 'fault' ? out.fault.message : '', /trap/);
});

test('an empty program loads and falls off its end at once', (t) => {
  t.deepEqual(sameFault(rawImage(new Uint8Array(0))), { kind: 'bad-jump', pc: 0 });
});
