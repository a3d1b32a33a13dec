import { assemble, encodeProgram } from '@bpfkit/asm';
import { conformanceVectors, SuiteTally, type ConformanceVector, type SuiteResult, type SuiteRunner } from '@bpfkit/corpus';
import type { ExecutionEngine, ProgramImage } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { createInterpreter, createWasmEngine } from '@bpfkit/vm';
import { testEnv, testHelper, testRegistry } from '../support/env.js';

/** An engine the suite measures; add one line per engine. */
export interface SuiteEngine {
  readonly name: string;
  create(): ExecutionEngine;
}

export const ENGINES: readonly SuiteEngine[] = [
  { name: 'interp', create: () => createInterpreter() },
  { name: 'wasm', create: () => createWasmEngine() },
];

const DIR = 'bpf_conformance/tests/';

/**
 * bpf_conformance's test runtime numbers its helpers itself; the vectors
 * that call one (`call 5`, `callx` to 5) only need it to return. Ours
 * returns its first argument, like uBPF's `unwind`.
 */
const helpers = testRegistry([
  testHelper(5, 'conformance_unwind', (c) => {
    c.regs[0] = c.regs[2] ?? 0;
    c.regs[1] = c.regs[3] ?? 0;
  }),
]);

function parseMem(body: string | undefined): Uint8Array | undefined {
  if (body === undefined) return undefined;
  const tokens = body.replace(/#.*/g, '').split(/\s+/).filter((t) => t !== '');
  return Uint8Array.from(tokens.map((t) => parseInt(t, 16)));
}

function parseResult(body: string | undefined): bigint | undefined {
  const text = body?.replace(/#.*/g, '').trim();
  if (text === undefined || text === '') return undefined;
  return BigInt.asUintN(64, BigInt(text));
}

function imageOf(v: ConformanceVector): ProgramImage {
  const insns = v.raw ?? encodeProgram(assemble(v.asm ?? '', { syntax: 'conformance' }));
  return { progType: 6, expectedAttachType: 0, insns, maps: [], verified: v.kernel?.kernel.status === 'ran' };
}

function runVector(engine: ExecutionEngine, v: ConformanceVector, tally: SuiteTally): void {
  const expected = parseResult(v.sections.get('result'));
  if (expected === undefined) {
    tally.miss(v.id, 'no result', 'the vector has no -- result');
    return;
  }
  let img: ProgramImage;
  try {
    img = imageOf(v);
  } catch (e) {
    tally.miss(v.id, 'does not assemble', String(e));
    return;
  }
  const arena = createVmArena({ initialBytes: 1 << 20 });
  const mem = parseMem(v.sections.get('mem'));
  let addr = 0;
  if (mem !== undefined && mem.length > 0) {
    addr = arena.alloc(mem.length);
    arena.bytes.set(mem, addr);
  }
  const prog = engine.load(img);
  try {
    const out = prog.run({ r1: addr, r2: mem?.length ?? 0 }, testEnv({ arena, helpers, insnLimit: 1_000_000 }));
    if (out.kind === 'fault') tally.miss(v.id, `fault: ${out.fault.kind}`, out.fault.message);
    else if (out.r0 !== expected) tally.miss(v.id, 'wrong r0', `r0 0x${out.r0.toString(16)}, expected 0x${expected.toString(16)}`);
    else tally.pass();
  } finally {
    prog.release();
  }
}

/**
 * The 313 ISA vectors of bpf_conformance, once per engine: r1/r2 are the
 * `-- mem` bytes (in the arena) and their length, r0 is compared on all 64
 * bits. Vectors the 6.18 verifier accepted run as verified images, the
 * others (shifts by out-of-range immediates, `callx`) unverified.
 */
const run: SuiteRunner = () => {
  const all = conformanceVectors();
  if (all === undefined) return Promise.resolve(undefined);
  const vectors = all.filter((v) => v.id.startsWith(DIR));
  const results: SuiteResult[] = ENGINES.map((e) => {
    const tally = new SuiteTally('vm-conformance', e.name);
    const engine = e.create();
    for (const v of vectors) runVector(engine, v, tally);
    return tally.result();
  });
  return Promise.resolve(results);
};

export default run;
