import test from 'ava';
import fc from 'fast-check';
import { createInterpreter } from '@bpfkit/vm';
import { testEnv, testHelper, testRegistry } from './support/env.js';
import { rawImage, slots } from './support/program.js';
import { sharedArena } from './support/run.js';

/** Opcodes worth generating often: every valid one, plus a few callx/JCOND/garbage ones. */
const OPCODES = [
  0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x44, 0x4c, 0x54, 0x5c, 0x64, 0x6c, 0x74, 0x7c, 0x84, 0x94, 0x9c, 0xa4, 0xac, 0xb4, 0xbc, 0xc4, 0xcc, 0xd4, 0xdc,
  0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x47, 0x4f, 0x57, 0x5f, 0x67, 0x6f, 0x77, 0x7f, 0x87, 0x97, 0x9f, 0xa7, 0xaf, 0xb7, 0xbf, 0xc7, 0xcf, 0xd7,
  0x05, 0x06, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d, 0xa5, 0xad, 0xb5, 0xbd, 0xc5, 0xcd, 0xd5, 0xdd,
  0x16, 0x1e, 0x26, 0x2e, 0x36, 0x3e, 0x46, 0x4e, 0x56, 0x5e, 0x66, 0x6e, 0x76, 0x7e, 0xa6, 0xae, 0xb6, 0xbe, 0xc6, 0xce, 0xd6, 0xde,
  0x85, 0x8d, 0x95, 0xe5, 0x18, 0x00, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50,
  0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xcb, 0xd3, 0xdb,
];

const slot = fc.tuple(
  fc.oneof(fc.constantFrom(...OPCODES), fc.integer({ min: 0, max: 255 })),
  fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 15 })),
  fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 15 })),
  fc.oneof(fc.integer({ min: -4, max: 8 }), fc.integer({ min: -0x8000, max: 0x7fff })),
  fc.oneof(fc.constantFrom(0, 1, -1, 8, 16, 32, 64, 0x100, 0x110, 0xe1, 0xf1, 0x10000), fc.integer({ min: -0x80000000, max: 0x7fffffff })),
);

const helpers = testRegistry([
  testHelper(1, 'ret_arg', (c) => {
    c.regs[0] = c.regs[2] ?? 0;
    c.regs[1] = 0;
  }),
  testHelper(2, 'calls_back', (c) => {
    c.regs[0] = Number(c.env.callback(c.regs[2] ?? 0, 1, 2, 3, 4, 5) & 0xffffn);
    c.regs[1] = 0;
  }),
]);

function neverThrows(verified: boolean): fc.IPropertyWithHooks<[(readonly [number, number, number, number, number])[], number]> {
  return fc.property(fc.array(slot, { minLength: 1, maxLength: 24 }), fc.integer({ min: 0, max: 0xffffffff }), (list, r1) => {
    const bytes = slots(...list);
    let prog;
    try {
      prog = createInterpreter().load(rawImage(bytes, verified));
    } catch {
      return true; // only a truncated ld_imm64 is refused, and that is tested elsewhere
    }
    const out = prog.run({ r1, r2: 64 }, testEnv({ arena: sharedArena(), helpers, insnLimit: 2000, loadSkbBytes: (o, s) => (o >= 0 && o + s <= 64 ? o : -1) }));
    prog.release();
    return out.kind === 'exit' || out.kind === 'fault';
  });
}

test('random unverified instruction sequences never throw: they exit or fault', (t) => {
  fc.assert(neverThrows(false), { numRuns: 3000 });
  t.pass();
});

test('random sequences loaded as verified never throw either (host safety)', (t) => {
  fc.assert(neverThrows(true), { numRuns: 3000 });
  t.pass();
});
