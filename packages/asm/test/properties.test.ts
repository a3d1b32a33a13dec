import test from 'ava';
import fc from 'fast-check';
import { BpfError } from '@bpfkit/kernel-api';
import {
  assemble, BPF_LD_IMM64, decodeProgram, disassemble, encodeHex, encodeProgram, formatLogInsn, type Insn, type Syntax,
  validate,
} from '@bpfkit/asm';

const SYNTAXES: readonly Syntax[] = ['kernel', 'conformance'];

function onlyBpfErrors(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (e) {
    if (e instanceof BpfError && e.code === 'EINVAL') return true;
    throw e;
  }
}

const slot = fc.record({
  code: fc.integer({ min: 0, max: 0xff }),
  dst: fc.integer({ min: 0, max: 15 }),
  src: fc.integer({ min: 0, max: 15 }),
  off: fc.integer({ min: -0x8000, max: 0x7fff }),
  imm: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
});

/** Any instruction, odd ones included: ld_imm64 gets an arbitrary second slot. */
const anyInsn: fc.Arbitrary<Insn> = fc.tuple(slot, slot).map(([a, b]) => (a.code === BPF_LD_IMM64 ? { ...a, second: b } : a));

/** Instructions built from real opcodes with small, plausible fields. */
const realCodes = [
  0x04, 0x07, 0x0c, 0x0f, 0x14, 0x17, 0x1c, 0x1f, 0x24, 0x27, 0x34, 0x37, 0x3c, 0x3f, 0x44, 0x47, 0x4c, 0x4f, 0x54, 0x57,
  0x64, 0x67, 0x6c, 0x6f, 0x74, 0x77, 0x84, 0x87, 0x94, 0x97, 0x9c, 0x9f, 0xa4, 0xa7, 0xac, 0xaf, 0xb4, 0xb7, 0xbc, 0xbf,
  0xc4, 0xc7, 0xcc, 0xcf, 0xd4, 0xd7, 0xdc, 0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b,
  0x73, 0x7b, 0xc3, 0xdb, 0x05, 0x06, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d,
  0xa5, 0xad, 0xb5, 0xbd, 0xc5, 0xcd, 0xd5, 0xdd, 0x16, 0x1e, 0x26, 0x2e, 0xe5, 0x85, 0x8d, 0x95, 0x18, 0x20, 0x28, 0x30,
  0x40, 0x48, 0x50,
];
const validInsn: fc.Arbitrary<Insn> = fc
  .record({
    code: fc.constantFrom(...realCodes),
    dst: fc.integer({ min: 0, max: 10 }),
    src: fc.integer({ min: 0, max: 10 }),
    off: fc.oneof(fc.constantFrom(0, 1, 8, 16, 32, -8), fc.integer({ min: -512, max: 512 })),
    imm: fc.oneof(fc.constantFrom(0, 1, 16, 32, 64, 0x100, 0x110, 0xe1, 0xf1, -1), fc.integer({ min: -0x80000000, max: 0x7fffffff })),
    hi: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  })
  .map(({ hi, ...s }) => (s.code === BPF_LD_IMM64 ? { ...s, second: { code: 0, dst: 0, src: 0, off: 0, imm: hi } } : s));

test('random bytes either decode and re-encode identically or fail with EINVAL', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      let insns: Insn[];
      try {
        insns = decodeProgram(bytes);
      } catch (e) {
        return e instanceof BpfError && e.code === 'EINVAL';
      }
      return Buffer.from(encodeProgram(insns)).equals(Buffer.from(bytes));
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

for (const syntax of SYNTAXES) {
  test(`any encoding, reserved fields included, survives ${syntax} disassembly and assembly`, (t) => {
    fc.assert(
      fc.property(fc.array(anyInsn, { minLength: 1, maxLength: 20 }), (insns) => {
        const text = disassemble(insns, { syntax });
        return encodeHex(assemble(text, { syntax })) === encodeHex(insns);
      }),
      { numRuns: 1500 },
    );
    t.pass();
  });

  test(`real instructions survive ${syntax} disassembly and assembly`, (t) => {
    fc.assert(
      fc.property(fc.array(validInsn, { minLength: 1, maxLength: 30 }), (insns) => {
        const text = disassemble(insns, { syntax });
        return encodeHex(assemble(text, { syntax })) === encodeHex(insns);
      }),
      { numRuns: 1500 },
    );
    t.pass();
  });

  test(`mutated ${syntax} text never throws anything but a BpfError`, (t) => {
    const program = fc.array(validInsn, { minLength: 1, maxLength: 12 }).map((insns) => disassemble(insns, { syntax }));
    const edit = fc.record({ at: fc.nat(), cut: fc.nat({ max: 6 }), insert: fc.string({ maxLength: 8 }) });
    fc.assert(
      fc.property(program, fc.array(edit, { maxLength: 4 }), (text, edits) => {
        let mutated = text;
        for (const { at, cut, insert } of edits) {
          const i = mutated.length === 0 ? 0 : at % mutated.length;
          mutated = mutated.slice(0, i) + insert + mutated.slice(i + cut);
        }
        return onlyBpfErrors(() => assemble(mutated, { syntax }));
      }),
      { numRuns: 3000 },
    );
    t.pass();
  });
}

test('arbitrary text never throws anything but a BpfError', (t) => {
  const alphabet = fc.constantFrom(...'r0123456789w=+-*/()[]%#;:, .xabcdefgilmnoqstuvl\n<>&|^!s'.split(''));
  fc.assert(
    fc.property(fc.string({ unit: alphabet, maxLength: 80 }), fc.constantFrom(...SYNTAXES), (text, syntax) =>
      onlyBpfErrors(() => assemble(text, { syntax })),
    ),
    { numRuns: 5000 },
  );
  t.pass();
});

test('validate and the log printer take any encoding without throwing', (t) => {
  fc.assert(
    fc.property(fc.array(anyInsn, { maxLength: 10 }), (insns) => {
      for (const d of validate(insns)) if (d.error.code !== 'EINVAL') return false;
      for (const insn of insns) formatLogInsn(insn);
      return true;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('very long lines and huge numbers are refused quickly', (t) => {
  const start = Date.now();
  for (const syntax of SYNTAXES) {
    t.true(onlyBpfErrors(() => assemble(`${'('.repeat(50000)}r0 = ${'9'.repeat(5000)}`, { syntax })));
    t.true(onlyBpfErrors(() => assemble(`r0 = *(u32 *)(r1 ${'+'.repeat(30000)} 4)`, { syntax })));
    t.true(onlyBpfErrors(() => assemble(`if r1 > ${'1'.repeat(30000)} goto +1`, { syntax })));
  }
  t.true(Date.now() - start < 5000);
});
