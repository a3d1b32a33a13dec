import test from 'ava';
import fc from 'fast-check';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { createInterpreter } from '@bpfkit/vm';
import { testEnv } from './support/env.js';
import { image } from './support/program.js';
import { refRun } from './support/ref-interp.js';
import { sharedArena } from './support/run.js';

// Random programs of ALU ops, forward branches and stack loads/stores, in the
// shapes the interpreter fuses (mov then op, load then op, add then compare,
// load then byte swap) and not: whatever it does inside, r0 and the count must
// be the BigInt model's.

const R = fc.integer({ min: 0, max: 9 });
const IMM = fc.oneof(fc.constantFrom(0, 1, -1, 7, 31, 32, 63, 0x7fffffff, -0x80000000, 20000), fc.integer({ min: -0x80000000, max: 0x7fffffff }));
const ALU = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', '%=', '^=', 's>>=', 's/=', 's%=', '='];
const JMP = ['==', '!=', '>', '>=', '<', '<=', 's>', 's>=', 's<', 's<=', '&'];
const SIZE = ['u8', 'u16', 'u32', 'u64'] as const;
const SLOT: Record<(typeof SIZE)[number], number> = { u8: 1, u16: 2, u32: 4, u64: 8 };

/** One generated piece: lines of kernel syntax (a forward jump is resolved later). */
const piece = fc.oneof(
  fc.tuple(fc.constantFrom(...ALU), fc.boolean(), R, R, IMM, fc.boolean()).map(([op, wide, d, s, k, useK]) => {
    const w = wide ? 'r' : 'w';
    const rhs = useK ? (op.includes('<<') || op.includes('>>') ? String(Math.abs(k) % (wide ? 64 : 32)) : String(k)) : `${w}${s}`;
    return [`${w}${d} ${op} ${rhs}`];
  }),
  fc.tuple(fc.boolean(), R, R, fc.constantFrom('+=', '<<=', '>>=', '&='), fc.integer({ min: 0, max: 31 }), R).map(([wide, d, s, op, k, e]) => {
    const w = wide ? 'r' : 'w';
    return [`${w}${d} = ${w}${s}`, `${w}${e} ${op} ${k}`];
  }),
  fc.tuple(R, fc.constantFrom(...SIZE), fc.integer({ min: 1, max: 8 }), R, fc.constantFrom('+=', '^=', '|='), fc.boolean()).map(([d, size, slot, e, op, wide]) => {
    const w = wide ? 'r' : 'w';
    return [`r${d} = *(${size} *)(r10 -${slot * SLOT[size]})`, `${w}${e} ${op} ${w}${d}`];
  }),
  fc.tuple(R, fc.constantFrom(...SIZE), fc.integer({ min: 1, max: 8 }), IMM, fc.boolean()).map(([s, size, slot, k, useImm]) =>
    useImm ? [`*(${size} *)(r10 -${slot * SLOT[size]}) = ${k}`] : [`*(${size} *)(r10 -${slot * SLOT[size]}) = r${s}`],
  ),
  fc.tuple(R, fc.constantFrom('u16', 'u32'), fc.integer({ min: 1, max: 8 })).map(([d, size, slot]) => [`r${d} = *(${size} *)(r10 -${slot * SLOT[size]})`, `r${d} = be${size.slice(1)} r${d}`]),
  fc.tuple(R, fc.constantFrom('s8', 's16', 's32'), fc.integer({ min: 1, max: 8 })).map(([d, size, slot]) => [`r${d} = *(${size} *)(r10 -${slot * 4})`]),
  fc.tuple(R, fc.constantFrom('le16', 'le32', 'le64', 'be16', 'be32', 'be64', 'bswap16', 'bswap32', 'bswap64')).map(([d, e]) => [`r${d} = ${e} r${d}`]),
  fc.tuple(R, R, fc.constantFrom('(s8)', '(s16)', '(s32)'), fc.boolean()).map(([d, s, cast, wide]) => [wide || cast === '(s32)' ? `r${d} = ${cast}r${s}` : `w${d} = ${cast}w${s}`]),
  fc.tuple(R, IMM, fc.constantFrom(...JMP), R, IMM, fc.boolean(), fc.integer({ min: 0, max: 3 })).map(([d, k, op, s, k2, useK, skip]) => [
    `r${d} += ${k}`,
    `if r${d} ${op} ${useK ? String(k2) : `r${s}`} goto +${skip}`,
  ]),
  fc.tuple(R, R, fc.constantFrom(...JMP), fc.boolean(), fc.integer({ min: 0, max: 3 })).map(([d, s, op, wide, skip]) => [
    `if ${wide ? 'r' : 'w'}${d} ${op} ${wide ? 'r' : 'w'}${s} goto +${skip}`,
  ]),
);

function programOf(pieces: string[][]): string {
  const lines = pieces.flat();
  // `goto +N` skips N following lines, clamped so that it lands inside the program.
  const body = lines.map((line, i) => line.replace(/goto \+(\d+)$/, (_m, n: string) => `goto pc+${Math.min(Number(n), lines.length - 1 - i)}`));
  const inits = ['r3 = 0x123456789abcdef0 ll', 'r4 = -3', 'r5 = 0x80000000', 'r6 = 255', 'r7 = 0x7fffffffffffffff ll', 'r8 = 1', 'r9 = 20000'];
  // Non-zero stack, so that loads see bits.
  for (let slot = 1; slot <= 8; slot++) inits.push(`*(u64 *)(r10 -${slot * 8}) = r${(slot % 7) + 3}`);
  const fold = ['r0 ^= r1', 'r0 ^= r2', 'r0 ^= r3', 'r0 ^= r4', 'r0 ^= r5', 'r0 ^= r6', 'r0 ^= r7', 'r0 ^= r8', 'r0 ^= r9', 'exit'];
  return [...inits, ...body, ...fold].join('\n');
}

const engine = createInterpreter();
const env = testEnv({ arena: sharedArena() });

for (const verified of [true, false]) {
  test(`random ALU, branch and stack programs give the BigInt model's r0 and count (${verified ? 'verified' : 'unverified'})`, (t) => {
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 0xffffffff }), (pieces, r2) => {
        const text = programOf(pieces);
        const want = refRun(encodeProgram(assemble(text)), 0n, BigInt(r2));
        const prog = engine.load(image(text, { verified }));
        const out = prog.run({ r1: 0, r2 }, env);
        prog.release();
        return out.kind === 'exit' && out.r0 === want.r0 && out.insnsExecuted === want.executed;
      }),
      { numRuns: 400 },
    );
    t.pass();
  });
}
