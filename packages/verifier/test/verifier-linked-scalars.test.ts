// Scalars linked through `wX += const` (BPF_ADD_CONST32), as the real 6.18 kernel verified the same program
// (an identical level-2 log, `processed 12 insns`).
import test from 'ava';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { insn } from './support/insn.js';
import { root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });

test('w3 = w2; w3 += 1: a bound learned on w2 bounds w3 (zero-extended), so r3 may index the stack', (t) => {
  // r0 = get_prandom_u32(); w2 = w0; w3 = w2; w3 += 1; if w2 > 10 goto out; *(u8 *)(r10 - 16 + r3) = 0
  const prog = [insn(0x85, 0, 0, 0, 7), insn(0xbc, 2, 0), insn(0xbc, 3, 2), insn(0x04, 3, 0, 0, 1), insn(0x26, 2, 0, 4, 10),
    insn(0xbf, 1, 10), insn(0x07, 1, 0, 0, -16), insn(0x0f, 1, 3), insn(0x72, 1, 0, 0, 0), insn(0xb7, 0, 0, 0, 0), insn(0x95)];
  const res = verifier.verify({
    progType: 3, expectedAttachType: 0, insns: Uint8Array.from(prog.flat()), license: 'GPL', gplCompatible: true, progFlags: 0,
    logLevel: 2 | 4, logSize: 1 << 20, privileges: root,
  });
  t.true(res.log.includes('3: (04) w3 += 1                       ; R3=scalar(id=1+1,'), res.log);
  t.true(res.log.includes('processed 12 insns'), res.log);
});
