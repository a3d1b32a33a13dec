import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import type { BpfMap, HelperRegistry, LoadedProgram, ProgramImage, RunEnv, RunOutcome } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { createHelperRegistry, createInterpreter, createWasmEngine } from '@bpfkit/vm';
import { testEnv, testHelper, testRegistry, testServices } from './support/env.js';
import { image, rawImage, slots } from './support/program.js';

const arena = createVmArena({ initialBytes: 1 << 20 });
const wasm = createWasmEngine();

function r0(out: RunOutcome): bigint {
  if (out.kind !== 'exit') throw new Error(`fault: ${out.fault.message}`);
  return out.r0;
}

function run(img: ProgramImage, helpers: HelperRegistry, r1 = 0, extra: Partial<RunEnv> = {}): RunOutcome {
  const prog = wasm.load(img);
  try {
    return prog.run({ r1 }, { ...testEnv({ arena, helpers }), ...extra });
  } finally {
    prog.release();
  }
}

test('bpf-to-bpf calls pass r1-r5, return r0 and keep the caller r6-r9', (t) => {
  const img = image(`
r6 = 6
r1 = 1
r2 = 2
r3 = 3
r4 = 4
r5 = 5
call pc+3
r0 += r6
exit
exit
r0 = r1
r0 += r2
r0 += r3
r0 += r4
r0 += r5
r6 = 100
exit`);
  t.is(r0(run(img, testRegistry())), 21n);
});

test('each frame has its own 512-byte stack below its caller', (t) => {
  const img = image(`
r1 = 7
*(u64 *)(r10 - 8) = r1
call pc+3
r1 = *(u64 *)(r10 - 8)
r0 += r1
exit
r1 = 30
*(u64 *)(r10 - 8) = r1
r0 = r10
exit`);
  const out = r0(run(img, testRegistry()));
  const interp = createInterpreter().load(img);
  const ref = r0(interp.run({ r1: 0 }, testEnv({ arena })));
  interp.release();
  // The callee's r10 is 512 below the caller's; the caller's slot still holds 7.
  t.is(out & 0xfffn, ref & 0xfffn);
});

test('helpers get r1-r5 as (lo, hi) words and set all 64 bits of r0', (t) => {
  const seen: number[] = [];
  const helpers = testRegistry([
    testHelper(1, 'probe', (c) => {
      for (let i = 2; i < 12; i++) seen.push(c.regs[i] ?? 0);
      c.regs[0] = 0x11223344;
      c.regs[1] = 0x55667788;
    }),
  ]);
  const out = run(image('r1 = 0x100000001 ll\nr2 = -1\nr3 = 3\nr4 = 4\nr5 = 0x500000000 ll\ncall 1\nexit'), helpers);
  t.is(r0(out), 0x5566778811223344n);
  t.deepEqual(seen, [1, 1, 0xffffffff, 0xffffffff, 3, 0, 4, 0, 0, 5]);
});

test('a helper that grows the arena leaves the program working on the new memory', (t) => {
  const small = createVmArena({ initialBytes: 1 << 16 });
  const helpers = testRegistry([
    testHelper(1, 'alloc', (c) => {
      const addr = c.env.arena.alloc(4 << 20);
      c.regs[0] = addr;
      c.regs[1] = 0;
    }),
  ]);
  const prog = wasm.load(image('call 1\nr0 += 4194303\nr1 = 0x2a\n*(u8 *)(r0 + 0) = r1\nr0 = *(u8 *)(r0 + 0)\nexit', { verified: true }));
  const out = prog.run({ r1: 0 }, testEnv({ arena: small, helpers }));
  prog.release();
  t.is(r0(out), 0x2an);
});

test('kfunc calls go to the registry by the name the image gives', (t) => {
  const helpers = testRegistry([], [testHelper(0, 'bpf_answer', (c) => ((c.regs[0] = (c.regs[2] ?? 0) * 2), (c.regs[1] = 0)))]);
  const img: ProgramImage = { ...rawImage(slots([0xb7, 1, 0, 0, 21], [0x85, 0, 2, 0, 1234], [0x95, 0, 0, 0, 0])), kfuncs: new Map([[1, 'bpf_answer']]) };
  t.is(r0(run(img, helpers)), 42n);
});

/** `bpf_loop`-style arguments (r1 = 5, r2 = the callback at slot 7, r3 = 100, r4 = 0), the call, `exit`, then the callback. */
function callbackProgram(helperId: number, body: string): ProgramImage {
  const head = slots([0xb7, 1, 0, 0, 5], [0x18, 2, 4, 0, 7], [0, 0, 0, 0, 0], [0xb7, 3, 0, 0, 100], [0xb7, 4, 0, 0, 0], [0x85, 0, 0, 0, helperId], [0x95, 0, 0, 0, 0]);
  const tail = encodeProgram(assemble(body));
  const bytes = new Uint8Array(head.length + tail.length);
  bytes.set(head);
  bytes.set(tail, head.length);
  return rawImage(bytes);
}

test('bpf_loop calls back into a subprogram through HelperEnv.callback', (t) => {
  // callback(i, ctx) stops the loop (returns 1) at i = 3: four calls.
  const img = callbackProgram(181, 'r0 = 0\nif r1 < 3 goto +1\nr0 = 1\nexit');
  const helpers = createHelperRegistry();
  t.is(r0(run(img, helpers)), 4n);
  const interp = createInterpreter().load(img);
  t.is(r0(interp.run({ r1: 0 }, testEnv({ arena, helpers }))), 4n);
  interp.release();
});

test('callbacks receive their arguments and return r0 to the helper', (t) => {
  const got: bigint[] = [];
  const helpers = testRegistry([
    testHelper(1, 'each', (c) => {
      for (let i = 0; i < 3; i++) got.push(c.env.callback(c.regs[4] ?? 0, i, 10, -1, 0, 0));
      c.regs[0] = got.length;
      c.regs[1] = 0;
    }),
  ]);
  t.is(r0(run(callbackProgram(1, 'r0 = r1\nr0 += r2\nr0 += r3\nexit'), helpers)), 3n);
  // r3 = -1 as a full 64-bit value: the sums wrap.
  t.deepEqual(got, [9n, 10n, 11n]);
});

test('callx on a callback value calls that subprogram', (t) => {
  const head = slots([0x18, 1, 4, 0, 4], [0, 0, 0, 0, 0], [0x8d, 1, 0, 0, 0], [0x95, 0, 0, 0, 0], [0xb7, 0, 0, 0, 77], [0x95, 0, 0, 0, 0]);
  t.is(r0(run(rawImage(head), testRegistry())), 77n);
});

test('callx on a small number calls that helper', (t) => {
  const helpers = testRegistry([testHelper(5, 'five', (c) => ((c.regs[0] = 5), (c.regs[1] = 0)))]);
  t.is(r0(run(image('r1 = 5\ncallx r1\nexit'), helpers)), 5n);
});

/** A prog array as tail calls see it. */
function progArray(address: number, slotsOf: (LoadedProgram | undefined)[]): BpfMap {
  const map: Partial<BpfMap> = {
    info: { mapType: 3, keySize: 4, valueSize: 4, maxEntries: slotsOf.length, mapFlags: 0, isMapInMap: false },
    address,
    slots: {
      at: (i) => {
        const loaded = slotsOf[i];
        return loaded === undefined ? undefined : { id: i + 1, target: { id: i + 1, progType: 0, expectedAttachType: 0, loaded }, put: () => undefined };
      },
    },
  };
  return map as BpfMap;
}

test('a tail call runs the target with the ctx and returns its r0 at once', (t) => {
  const helpers = createHelperRegistry();
  const target = wasm.load(image('r0 = *(u32 *)(r1 + 0)\nr0 += 1000\nexit'));
  const array = progArray(0x5000, [undefined, target]);
  const caller = wasm.load(image('r2 = 0x5000 ll\nr3 = 1\ncall 12\nr0 = 7\nexit'));
  const ctx = arena.alloc(8);
  arena.view.setUint32(ctx, 5, true);
  const env = { ...testEnv({ arena, helpers }), services: testServices([array]) };
  t.is(r0(caller.run({ r1: ctx }, env)), 1005n);
  arena.free(ctx);
  caller.release();
  target.release();
});

test('a tail call to an empty slot goes on with r0 untouched', (t) => {
  const helpers = createHelperRegistry();
  const array = progArray(0x5000, [undefined]);
  const caller = wasm.load(image('r0 = 3\nr2 = 0x5000 ll\nr3 = 0\ncall 12\nr0 += 4\nexit'));
  const env = { ...testEnv({ arena, helpers }), services: testServices([array]) };
  t.is(r0(caller.run({ r1: 0 }, env)), 7n);
  caller.release();
});

test('a chain of tail calls stops after 33, like the kernel (counted along the chain)', (t) => {
  const helpers = createHelperRegistry();
  const slotsOf: (LoadedProgram | undefined)[] = [undefined];
  const array = progArray(0x5000, slotsOf);
  // Each run adds 1 to the counter ctx points to, then tail-calls itself.
  const text = 'r6 = r1\nr2 = *(u64 *)(r6 + 0)\nr2 += 1\n*(u64 *)(r6 + 0) = r2\nr1 = r6\nr2 = 0x5000 ll\nr3 = 0\ncall 12\nr0 = *(u64 *)(r6 + 0)\nexit';
  for (const engine of [wasm, createInterpreter()]) {
    const self = engine.load(image(text));
    slotsOf[0] = self;
    const ctx = arena.alloc(8);
    const env = { ...testEnv({ arena, helpers }), services: testServices([array]) };
    t.is(r0(self.run({ r1: ctx }, env)), 34n, engine.name);
    arena.free(ctx);
    self.release();
  }
});

test('LD_ABS and LD_IND read big-endian packet bytes; out of the packet the program returns 0', (t) => {
  const packet = Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a]);
  const loadSkbBytes = (off: number, size: 1 | 2 | 4): number => {
    if (off < 0 || off + size > packet.length) return -1;
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + (packet[off + i] ?? 0);
    return v;
  };
  const go = (text: string): bigint => r0(run(image(text), testRegistry(), 0, { loadSkbBytes }));
  t.is(go('r0 = *(u32 *)skb[1]\nexit'), 0x3456789an);
  t.is(go('r6 = 2\nr0 = *(u16 *)skb[r6 + 1]\nexit'), 0x789an);
  t.is(go('r0 = *(u8 *)skb[0]\nexit'), 0x12n);
  t.is(go('r0 = 5\nr0 = *(u32 *)skb[3]\nr0 = 9\nexit'), 0n);
});

test('a helper that runs the same program again does not disturb the running frame', (t) => {
  const state: { prog?: LoadedProgram; env?: RunEnv; depth: number } = { depth: 0 };
  const helpers = testRegistry([
    testHelper(1, 'again', (c) => {
      let v = 0n;
      if (state.depth < 3 && state.prog !== undefined && state.env !== undefined) {
        state.depth++;
        const out = state.prog.run({ r1: 0 }, state.env);
        state.depth--;
        v = out.kind === 'exit' ? out.r0 : 999n;
      }
      c.regs[0] = Number(v);
      c.regs[1] = 0;
    }),
  ]);
  state.env = testEnv({ arena, helpers });
  // Each level keeps 5 in its stack across the call and returns inner + 5.
  state.prog = wasm.load(image('r1 = 5\n*(u64 *)(r10 - 8) = r1\ncall 1\nr1 = *(u64 *)(r10 - 8)\nr0 += r1\nexit'));
  t.is(r0(state.prog.run({ r1: 0 }, state.env)), 20n);
  state.prog.release();
});

test('a callback sees memory its helper allocated just before calling back', (t) => {
  const small = createVmArena({ initialBytes: 1 << 16 });
  const helpers = testRegistry([
    testHelper(1, 'alloc_then_call', (c) => {
      const addr = c.env.arena.alloc(4 << 20);
      const r = c.env.callback(c.regs[4] ?? 0, addr + (4 << 20) - 8, 0, 0, 0, 0);
      c.regs[0] = Number(r);
      c.regs[1] = 0;
    }),
  ]);
  const img = { ...callbackProgram(1, 'r2 = 42\n*(u64 *)(r1 + 0) = r2\nr0 = *(u64 *)(r1 + 0)\nexit'), verified: true };
  const prog = wasm.load(img);
  const out = prog.run({ r1: 0 }, testEnv({ arena: small, helpers }));
  prog.release();
  t.is(r0(out), 42n);
});

test('tail calls from a subprogram chain deeper than eight frames, as in the kernel (verifier_tailcall_jit)', (t) => {
  // main: call sub; r0 = 0; exit. sub: tail-call main. Each target calls one frame deeper than the
  // frame it replaces; the chain ends after 33 tail calls and unwinds with r0 = 0.
  const helpers = createHelperRegistry();
  const slotsOf: (LoadedProgram | undefined)[] = [undefined];
  const array = progArray(0x5000, slotsOf);
  for (const engine of [wasm, createInterpreter()]) {
    const main = engine.load(image('call pc+2\nr0 = 0\nexit\nr2 = 0x5000 ll\nr3 = 0\ncall 12\nexit', { verified: true }));
    slotsOf[0] = main;
    const env = { ...testEnv({ arena, helpers }), services: testServices([array]) };
    t.deepEqual(main.run({ r1: 0 }, env), { kind: 'exit', r0: 0n, insnsExecuted: 205 }, engine.name);
    main.release();
  }
});
