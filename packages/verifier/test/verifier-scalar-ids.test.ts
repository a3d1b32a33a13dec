// Scalar ids across checkpoints and in pruning, as the real 6.18.44 kernel logged the same programs
// (whole level-2 logs identical): a checkpoint leaves the path's ids alone, and an old scalar with
// no id covers a current one that is linked, even through `r += const`.
import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const SOCKET_FILTER = 1;
const BPF_F_TEST_STATE_FREQ = 8;

function level2(text: string, progFlags = 0): string {
  return verifier.verify({
    progType: SOCKET_FILTER, expectedAttachType: 0, insns: encodeProgram(assemble(text)), license: 'GPL', gplCompatible: true,
    progFlags, logLevel: 2, logSize: 1 << 20, privileges: root,
  }).log;
}

test('a checkpoint keeps an id only one register holds: a later copy shares it', (t) => {
  const log = level2(['call bpf_ktime_get_ns', 'r0 &= 255', 'r6 = r0', 'r0 = 0', 'if r6 > 5 goto +0', 'r7 = r6', 'r0 = 0', 'exit'].join('\n'),
    BPF_F_TEST_STATE_FREQ);
  t.true(log.includes('4: (25) if r6 > 0x5 goto pc+0         ; R6=scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=5,var_off=(0x0; 0x7))'), log);
  t.true(log.includes('5: (bf) r7 = r6                       ; R6=scalar(id=1,'), log);
  t.true(log.includes('processed 9 insns (limit 1000000) max_states_per_insn 0 total_states 3 peak_states 3 mark_read 0'), log);
});

test('a loop head whose counter had no id covers the next pass, where it is linked (id=N+1)', (t) => {
  const log = level2([
    'call bpf_get_prandom_u32', 'r1 = r0', 'r1 &= 1023', 'if r1 > 999 goto +9',
    'may_goto +8', 'r2 = r1', 'r2 &= 7', 'r3 = r10', 'r3 += -16', 'r3 += r2', '*(u8 *)(r3 +0) = 0', 'r1 += 1', 'if r1 < 1000 goto -9',
    'r0 = 0', 'exit',
  ].join('\n'));
  t.true(log.includes('11: (07) r1 += 1                      ; R1=scalar(id=2+1,'), log);
  t.true(log.includes('from 12 to 4: safe'), log);
  t.true(log.includes('processed 20 insns (limit 1000000) max_states_per_insn 0 total_states 2 peak_states 3 mark_read 0'), log);
});

test('the old counter had no id: the next pass prunes though the counter is linked to another register and offset', (t) => {
  // r4 keeps r1's base id, so no one-off id is dropped anywhere: only the comparison decides.
  const log = level2([
    'call bpf_get_prandom_u32', 'r1 = r0', 'r1 &= 1023', 'if r1 > 999 goto +10',
    'may_goto +9', 'r2 = r1', 'r4 = r1', 'r2 &= 7', 'r3 = r10', 'r3 += -16', 'r3 += r2', '*(u8 *)(r3 +0) = 0', 'r1 += 1',
    'if r1 < 1000 goto -10', 'r0 = 0', 'exit',
  ].join('\n'));
  t.true(log.includes('from 13 to 4: safe'), log);
  t.true(log.includes('processed 21 insns (limit 1000000) max_states_per_insn 0 total_states 2 peak_states 3 mark_read 0'), log);
});
