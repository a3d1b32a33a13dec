import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { conformanceVectors, corpusRequired, skipMessage } from '@bpfkit/corpus';
import type { ProgramImage, RunOutcome } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { createInterpreter, createWasmEngine } from '@bpfkit/vm';
import { testEnv, testHelper, testRegistry } from './support/env.js';

const helpers = testRegistry([
  testHelper(0, 'gather', (c) => {
    c.regs[0] = 0x11;
    c.regs[1] = 0;
  }),
  testHelper(1, 'memfrob', (c) => {
    c.regs[0] = 0;
    c.regs[1] = 0;
  }),
  testHelper(5, 'unwind', (c) => {
    c.regs[0] = c.regs[2] ?? 0;
    c.regs[1] = c.regs[3] ?? 0;
  }),
]);

function parseMem(body: string | undefined): Uint8Array {
  const tokens = (body ?? '').replace(/#.*/g, '').split(/\s+/).filter((x) => /^[0-9a-fA-F]{2}$/.test(x));
  return Uint8Array.from(tokens.map((x) => parseInt(x, 16)));
}

function summary(out: RunOutcome): string {
  return out.kind === 'exit' ? `exit 0x${out.r0.toString(16)} n=${out.insnsExecuted}` : `fault ${out.fault.kind} at ${out.fault.pc} n=${out.insnsExecuted}`;
}

/**
 * Every assemblable program of the ISA corpus (bpf_conformance tests and
 * negatives, uBPF's vectors and error cases), verified or not, ends the same
 * way on the JIT as on the interpreter: same r0, same fault kind and pc, same
 * count. (Whether that is the vector's expected result is the conformance
 * suite's business; here the interpreter is the reference.)
 */
test('the whole ISA corpus runs the same on the JIT and the interpreter', (t) => {
  const vectors = conformanceVectors();
  if (vectors === undefined) {
    t.log(skipMessage('wasm-corpus'));
    t.true(!corpusRequired(), 'the shared corpus is missing and CI=true requires it');
    return;
  }
  const arena = createVmArena({ initialBytes: 1 << 20 });
  const engines = [createInterpreter(), createWasmEngine()];
  let compared = 0;
  for (const v of vectors) {
    let insns: Uint8Array;
    try {
      insns = v.raw ?? encodeProgram(assemble(v.asm ?? '', { syntax: 'conformance' }));
    } catch {
      continue;
    }
    if (insns.length === 0 || insns.length > 8 * 4096) continue;
    // r10 as a value (not as a memory base) is a stack address, which differs between engines.
    if (/(^|[\s,])%r10\b(?!\s*[+-]?\d*\])/m.test(v.asm ?? '')) continue;
    const mem = parseMem(v.sections.get('mem'));
    // The ISA tests all end: they also run without a limit (the JIT's other variant, counting in locals).
    const limits = v.id.startsWith('bpf_conformance/tests/') ? [100_000, undefined] : [100_000];
    for (const [verified, insnLimit] of [false, true].flatMap((ver) => limits.map((l) => [ver, l] as const))) {
      const img: ProgramImage = { progType: 6, expectedAttachType: 0, insns, maps: [], verified };
      const outs = engines.map((engine) => {
        let addr = 0;
        if (mem.length > 0) {
          addr = arena.alloc(mem.length);
          arena.bytes.set(mem, addr);
        }
        const prog = engine.load(img);
        try {
          return summary(prog.run({ r1: addr, r2: mem.length }, testEnv({ arena, helpers, ...(insnLimit === undefined ? {} : { insnLimit }) })));
        } finally {
          prog.release();
          if (addr !== 0) arena.free(addr);
        }
      });
      // Verified runs of programs the verifier would refuse may read uninitialized stack: compare those unverified only.
      if (verified && v.kernel?.kernel.status !== 'ran') continue;
      if (outs[0] !== outs[1]) t.fail(`${v.id} (${verified ? 'verified' : 'unverified'}): interp ${outs[0] ?? ''}, wasm ${outs[1] ?? ''}`);
      compared++;
    }
  }
  t.log(`${compared} runs compared`);
  t.true(compared > 1000);
});
