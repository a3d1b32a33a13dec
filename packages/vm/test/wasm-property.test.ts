import test from 'ava';
import fc from 'fast-check';
import type { ProgramImage, RunOutcome } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { createInterpreter, createWasmEngine } from '@bpfkit/vm';
import { testEnv, testHelper, testRegistry } from './support/env.js';
import { rawImage, slots } from './support/program.js';

type Slot = readonly [number, number, number, number, number];

const reg = fc.integer({ min: 0, max: 9 });
const imm = fc.oneof(fc.integer({ min: -4, max: 70 }), fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.constantFrom(0x7fffffff, -0x80000000, -1));
const aluOp = fc.constantFrom(0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0);
const jmpOp = fc.constantFrom(0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0);
const size = fc.constantFrom(0x00, 0x08, 0x10, 0x18);
const SIZE_BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };

/** One instruction (or the two slots of ld_imm64) of a random, mostly well-formed program. */
const insn: fc.Arbitrary<Slot[]> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(0x04, 0x07), aluOp, fc.boolean(), reg, reg, imm, fc.constantFrom(0, 0, 0, 1)).map(([cls, op, x, d, sr, k, off]): Slot[] => [[cls | op | (x ? 8 : 0), d, x ? sr : 0, op === 0x30 || op === 0x90 ? off : 0, x ? 0 : k]]) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0x04, 0x07), reg).map(([cls, d]): Slot[] => [[cls | 0x80, d, 0, 0, 0]]) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0xbf, 0xbc), reg, reg, fc.constantFrom(8, 16, 32)).map(([code, d, sr, off]): Slot[] => [[code, d, sr, code === 0xbc && off === 32 ? 16 : off, 0]]) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0xd4, 0xdc, 0xd7), reg, fc.constantFrom(16, 32, 64)).map(([code, d, k]): Slot[] => [[code, d, 0, 0, k]]) },
  { weight: 1, arbitrary: fc.tuple(reg, fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.integer({ min: -0x80000000, max: 0x7fffffff })).map(([d, lo, hi]): Slot[] => [[0x18, d, 0, 0, lo], [0, 0, 0, 0, hi]]) },
  // Stack stores and loads inside the frame (past it, what faults depends on the neighbours in the arena).
  { weight: 2, arbitrary: fc.tuple(size, reg, fc.integer({ min: -64, max: -1 }), imm, fc.boolean()).map(([sz, sr, slot, k, useReg]): Slot[] => [useReg ? [0x63 | sz, 10, sr, slot * 8 + 8 - (SIZE_BYTES[sz] ?? 8), 0] : [0x62 | sz, 10, 0, slot * 8, k]]) },
  { weight: 2, arbitrary: fc.tuple(size, reg, fc.integer({ min: -64, max: -1 }), fc.boolean()).map(([sz, d, slot, sx]): Slot[] => [[(sx && sz !== 0x18 ? 0x81 : 0x61) | sz, d, 10, slot * 8, 0]]) },
  // Loads through other registers: mostly memory faults, which must agree too.
  { weight: 1, arbitrary: fc.tuple(size, reg, reg, fc.integer({ min: -16, max: 16 })).map(([sz, d, sr, off]): Slot[] => [[0x61 | sz, d, sr, off, 0]]) },
  // Atomics on the stack.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0x00, 0x18), reg, fc.integer({ min: -64, max: -1 }), fc.constantFrom(0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1)).map(([sz, sr, slot, op]): Slot[] => [[0xc3 | sz, 10, sr, slot * 8, op]]) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(0x05, 0x06), jmpOp, fc.boolean(), reg, reg, imm, fc.integer({ min: -6, max: 6 })).map(([cls, op, x, d, sr, k, off]): Slot[] => [[cls | op | (x ? 8 : 0), d, x ? sr : 0, off, x ? 0 : k]]) },
  { weight: 1, arbitrary: fc.integer({ min: -6, max: 6 }).map((off): Slot[] => [[0x05, 0, 0, off, 0]]) },
  { weight: 1, arbitrary: fc.integer({ min: -4, max: 4 }).map((off): Slot[] => [[0xe5, 0, 0, off, 0]]) },
  { weight: 1, arbitrary: fc.constant<Slot[]>([[0x95, 0, 0, 0, 0]]) },
  // A helper (r0 from r1 and r2) and LD_ABS/LD_IND into a 16-byte packet.
  { weight: 1, arbitrary: fc.constant<Slot[]>([[0x85, 0, 0, 0, 1]]) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0x20, 0x28, 0x30, 0x40, 0x48, 0x50), reg, fc.integer({ min: -2, max: 18 })).map(([code, sr, k]): Slot[] => [[code, 0, code >= 0x40 ? sr : 0, 0, k]]) },
  // bpf-to-bpf calls: subprograms share the register file (r1-r5 come back from the callee).
  { weight: 1, arbitrary: fc.integer({ min: -8, max: 8 }).map((k): Slot[] => [[0x85, 0, 1, 0, k]]) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 255 }), reg, reg).map(([code, d, sr]): Slot[] => [[code, d, sr, 0, 0]]) },
);

const program = fc.array(insn, { minLength: 1, maxLength: 30 }).map((list) => {
  const flat = list.flat();
  flat.push([0x95, 0, 0, 0, 0]);
  return rawImage(slots(...flat));
});

const arena = createVmArena({ initialBytes: 1 << 20 });
const interp = createInterpreter();
const engines = [createWasmEngine(), createWasmEngine({ controlFlow: 'dispatcher' })];

const helpers = testRegistry([
  testHelper(1, 'mix', (c) => {
    c.regs[0] = ((c.regs[2] ?? 0) + (c.regs[4] ?? 0) * 3) >>> 0;
    c.regs[1] = (c.regs[3] ?? 0) ^ (c.regs[5] ?? 0);
  }),
]);
const packet = Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 0xff);
const loadSkbBytes = (off: number, size: 1 | 2 | 4): number => {
  if (off < 0 || off + size > packet.length) return -1;
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + (packet[off + i] ?? 0);
  return v;
};

/** Runs with an instruction limit of 3000, or none for `null`. */
function run(engine: typeof interp, img: ProgramImage, insnLimit: number | null = 3000): RunOutcome {
  const prog = engine.load(img);
  try {
    return prog.run({ r1: 0 }, testEnv({ arena, helpers, loadSkbBytes, ...(insnLimit === null ? {} : { insnLimit }) }));
  } finally {
    prog.release();
  }
}

/** What must agree: r0 at exit, the kind and pc of a fault, and the instruction count either way. */
function summary(out: RunOutcome): string {
  return out.kind === 'exit' ? `exit r0=${out.r0.toString(16)} n=${out.insnsExecuted}` : `fault ${out.fault.kind} at ${out.fault.pc} n=${out.insnsExecuted}`;
}

/**
 * The same programs as verified images (the JIT's fast paths: unchecked stack, one compare per
 * other access, r1–r5-only calls), minus what the verifier would refuse and engines may then
 * treat differently: bpf-to-bpf calls (registers other than r0 and r6–r10 are dead after them)
 * and stack reads before writes (the prefix zeroes the frame).
 */
const verifiedProgram = fc.array(insn, { minLength: 1, maxLength: 30 }).map((list) => {
  const flat: Slot[] = [];
  for (let k = 1; k <= 64; k++) flat.push([0x7a, 10, 0, -8 * k, 0]);
  for (const slotsOf of list) {
    for (const sl of slotsOf) flat.push(sl[0] === 0x85 && sl[2] === 1 ? [0xb7, 0, 0, 0, 0] : sl);
  }
  flat.push([0x95, 0, 0, 0, 0]);
  return { ...rawImage(slots(...flat)), verified: true };
});

test('random programs end the same way on the interpreter and the JIT (r0 or fault kind and pc, and the count)', (t) => {
  fc.assert(
    fc.property(program, (img) => {
      const want = summary(run(interp, img));
      for (const engine of engines) {
        const got = summary(run(engine, img));
        if (got !== want) throw new Error(`interp: ${want}; wasm: ${got}`);
      }
    }),
    { numRuns: Number(process.env.WASM_PROPERTY_RUNS ?? 400) },
  );
  t.pass();
});

test('as verified images too, random programs end the same way on both engines', (t) => {
  fc.assert(
    fc.property(verifiedProgram, (img) => {
      const want = summary(run(interp, img));
      for (const engine of engines) {
        const got = summary(run(engine, img));
        if (got !== want) throw new Error(`interp: ${want}; wasm: ${got}`);
      }
    }),
    { numRuns: Number(process.env.WASM_PROPERTY_RUNS ?? 300) },
  );
  t.pass();
});

/** Programs that cannot loop (every jump and call goes forward), so they can run without a limit. */
const forwardProgram = fc.array(insn, { minLength: 1, maxLength: 30 }).map((list) => {
  const flat: Slot[] = [];
  for (const slotsOf of list) {
    for (const sl of slotsOf) {
      const [code, d, sr, off, k] = sl;
      const jump = (code & 0x07) === 0x05 || (code & 0x07) === 0x06;
      if (jump && (code & 0xf0) === 0x80) flat.push([code, d, sr, off, sr === 1 ? Math.abs(k) : k]);
      else if (jump && code !== 0x06 && (code & 0xf0) !== 0x90) flat.push([code, d, sr, Math.abs(off), k]);
      else if (code === 0x06) flat.push([code, d, sr, off, Math.abs(k)]);
      else flat.push(sl);
    }
  }
  flat.push([0x95, 0, 0, 0, 0]);
  return rawImage(slots(...flat));
});

test('without an instruction limit (the JIT counts in locals then), counts and faults agree too', (t) => {
  fc.assert(
    fc.property(forwardProgram, (img) => {
      const want = summary(run(interp, img, null));
      for (const engine of engines) {
        const got = summary(run(engine, img, null));
        if (got !== want) throw new Error(`interp: ${want}; wasm: ${got}`);
      }
    }),
    { numRuns: Number(process.env.WASM_PROPERTY_RUNS ?? 300) },
  );
  t.pass();
});
