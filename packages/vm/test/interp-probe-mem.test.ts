// BPF_PROBE_MEM / BPF_PROBE_MEMSX: what the verifier makes of loads through untrusted BTF pointers
// (6.18's convert_ctx_accesses). Where nothing is mapped the JIT's exception table makes the load read 0;
// elsewhere it is an ordinary load (sign-extending for PROBE_MEMSX). Both engines, verified images only.
import test from 'ava';
import type { ProgramImage } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { createHelperRegistry, createInterpreter, createWasmEngine } from '@bpfkit/vm';
import { testEnv } from './support/env.js';
import { slots } from './support/program.js';

const arena = createVmArena({ initialBytes: 1 << 20 });
const helpers = createHelperRegistry();

/**
 * r1 holds a buffer of 0xff bytes: r0 = PROBE_MEM u32 at r1+0 (0xffffffff) + PROBE_MEMSX s8 at r1+1 (-1)
 * + PROBE_MEM u64 at NULL+16 (0) + PROBE_MEM u8 past the arena's end (0).
 */
function program(buf: number, verified: boolean): ProgramImage {
  const insns = slots(
    [0x18, 1, 0, 0, buf], [0, 0, 0, 0, 0],
    [0x21, 0, 1, 0, 0],
    [0x51, 2, 1, 1, 0],
    [0x0f, 0, 2, 0, 0],
    [0xb7, 3, 0, 0, 0],
    [0x39, 4, 3, 16, 0],
    [0x0f, 0, 4, 0, 0],
    [0x18, 5, 0, 0, 0x7fff_fff0], [0, 0, 0, 0, 0],
    [0x31, 6, 5, 0, 0],
    [0x0f, 0, 6, 0, 0],
    [0x95, 0, 0, 0, 0],
  );
  return { progType: 31, expectedAttachType: 0, insns, maps: [], verified };
}

test('a probe load reads memory where there is some and 0 where there is none, on both engines', (t) => {
  const buf = arena.alloc(16);
  arena.bytes.fill(0xff, buf, buf + 16);
  for (const engine of [createInterpreter(), createWasmEngine({ fallback: createInterpreter() })]) {
    const prog = engine.load(program(buf, true));
    try {
      const out = prog.run({ r1: 0 }, testEnv({ arena, helpers }));
      t.is(out.kind, 'exit', engine.name);
      t.is(out.kind === 'exit' ? out.r0 : -1n, 0xffff_ffffn - 1n, engine.name);
    } finally {
      prog.release();
    }
  }
  arena.free(buf);
});

test('probe loads are not instructions of an unverified program', (t) => {
  for (const engine of [createInterpreter(), createWasmEngine({ fallback: createInterpreter() })]) {
    const out = engine.load(program(0, false)).run({ r1: 0 }, testEnv({ arena, helpers }));
    t.is(out.kind, 'fault', engine.name);
    // The interpreter names the opcode; the JIT the instruction.
    t.regex(out.kind === 'fault' ? out.fault.message : '', /unknown opcode 21|invalid instruction \(pc 2\)/, engine.name);
    t.is(out.kind === 'fault' ? out.fault.pc : -1, 2, engine.name);
  }
});
