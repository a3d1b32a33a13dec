// Loops as 6.18 tracks them (`bpf_scc_visit`): a checkpoint entering a loop opens a visit, a state pruned
// inside it is a backedge, and the visit closes when its entry state has no paths left. Logs and statistics
// are what the real 6.18.44 kernel printed for the same programs (socket filters, log level 2).
import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import type { VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });

/** The SCC and prune lines of a level-2 log, and its statistics line. */
function trace(text: string): { lines: string[]; stats: string } {
  const req: VerifierRequest = {
    progType: 1, expectedAttachType: 0, insns: encodeProgram(assemble(text)), license: 'GPL', gplCompatible: true, progFlags: 0,
    logLevel: 2, logSize: 1 << 22, privileges: root,
  };
  const log = verifier.verify(req).log.split('\n');
  return {
    lines: log.filter((l) => /^SCC |safe$/.test(l)),
    stats: (log.find((l) => l.startsWith('processed ')) ?? '').replace(/ max_states_per_insn \d+/, ''),
  };
}

test('a may_goto loop back to itself: enter, one backedge, exit (5 insns, peak_states 2 with the backedge)', (t) => {
  t.deepEqual(trace('r0 = 0\nmay_goto +1\ngoto -2\nexit'), {
    lines: ['SCC enter (1)', 'SCC backedge (1)', '1: safe', 'SCC exit (1)'],
    stats: 'processed 5 insns (limit 1000000) total_states 1 peak_states 2 mark_read 0',
  });
});

test('a loop with two ways back records a backedge for each pruned visit (28 insns, peak_states 7)', (t) => {
  const prog = 'call 7\nr1 = r0\nr2 = 0\nmay_goto +4\nr2 += r1\nr1 &= 7\nif r1 > 3 goto -4\ngoto -5\nr0 = r2\nexit';
  t.deepEqual(trace(prog), {
    lines: ['SCC enter (1)', 'SCC backedge (1)', '3: safe', 'SCC backedge (1)', '3: safe', 'SCC backedge (1)', 'from 6 to 3: safe',
      'SCC backedge (1)', 'from 6 to 3: safe', 'SCC exit (1)'],
    stats: 'processed 28 insns (limit 1000000) total_states 3 peak_states 7 mark_read 0',
  });
});

test('a bounded loop without may_goto enters and exits its visit (44 insns)', (t) => {
  t.deepEqual(trace('r0 = 0\nr1 = 0\nmay_goto +3\nr1 += 1\nif r1 < 10 goto -3\nr0 = 1\nexit'), {
    lines: ['SCC enter (1)', 'SCC exit (1)'],
    stats: 'processed 44 insns (limit 1000000) total_states 10 peak_states 10 mark_read 0',
  });
});
