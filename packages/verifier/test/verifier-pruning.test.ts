// Pruning against what the real 6.18 kernel counted for the same programs.
import test from 'ava';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { insn } from './support/insn.js';
import { root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });

test('a helper without arguments reads no stack: the stored slots of a branch that skipped them do not stop pruning', (t) => {
  // test_verifier's scale shape, 6 rounds: r0 = get_prandom_u32(); if r0 > K goto +2; r1 = r10; *(u64 *)(r1 - 8(k+1)) = r6.
  // r1 holds a stack pointer at each call, but bpf_get_prandom_u32 takes no argument.
  const prog = [insn(0xbf, 6, 1)];
  for (let k = 1; k <= 6; k++) prog.push(insn(0x85, 0, 0, 0, 7), insn(0x25, 0, 0, 2, 1000 + k * 77), insn(0xbf, 1, 10), insn(0x7b, 1, 6, -8 * (k + 1)));
  for (let j = 0; j < 10; j++) prog.push(insn(0xb7, 0, 0, 0, 42));
  prog.push(insn(0x95));
  const res = verifier.verify({
    progType: 3, expectedAttachType: 0, insns: Uint8Array.from(prog.flat()), license: 'GPL', gplCompatible: true, progFlags: 0,
    logLevel: 4, logSize: 1 << 20, privileges: root,
  });
  t.true(res.log.includes('processed 57 insns (limit 1000000) max_states_per_insn 0 total_states 5 peak_states 5 mark_read 0'), res.log);
});
