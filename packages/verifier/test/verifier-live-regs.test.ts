// The level-2 preamble: `func#N @start` per subprogram, then "Live regs before insn:" with each
// instruction's strongly connected component (loops), index, live registers and text. Every
// expected block below is what Linux 6.18 printed for the same program (log_level 2, root).
import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import type { VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });

function preamble(text: string, progType = 1): string[] {
  const req: VerifierRequest = {
    progType, expectedAttachType: 0, insns: encodeProgram(assemble(text)), license: 'GPL', gplCompatible: true, progFlags: 0,
    logLevel: 2, logSize: 1 << 20, privileges: root,
  };
  let log: string;
  try {
    log = verifier.verify(req).log;
  } catch (e) {
    log = (e as { log?: string }).log ?? '';
  }
  const lines = log.split('\n');
  const end = lines.findIndex((l) => l.startsWith('0: R1='));
  return lines.slice(0, end < 0 ? lines.length : end);
}

test('two loops one after the other: the later loop completes first and is component 1', (t) => {
  t.deepEqual(preamble('r6 = 3\nl1:\nr6 += -1\nif r6 != 0 goto l1\nr7 = 3\nl2:\nr7 += -1\nif r7 > 0 goto l2\nr0 = 0\nexit'), [
    'func#0 @0',
    'Live regs before insn:',
    '      0: .......... (b7) r6 = 3',
    '  2   1: ......6... (07) r6 += -1',
    '  2   2: ......6... (55) if r6 != 0x0 goto pc-2',
    '      3: .......... (b7) r7 = 3',
    '  1   4: .......7.. (07) r7 += -1',
    '  1   5: .......7.. (25) if r7 > 0x0 goto pc-2',
    '      6: .......... (b7) r0 = 0',
    '      7: 0......... (95) exit',
  ]);
});

test('nested loops are one component; a jump to itself is one too', (t) => {
  t.deepEqual(preamble('r6 = 3\nl1:\nr7 = 2\nl2:\nr7 += -1\nif r7 != 0 goto l2\nr6 += -1\nif r6 != 0 goto l1\nr0 = 0\nexit').slice(2), [
    '      0: .......... (b7) r6 = 3',
    '  1   1: ......6... (b7) r7 = 2',
    '  1   2: ......67.. (07) r7 += -1',
    '  1   3: ......67.. (55) if r7 != 0x0 goto pc-2',
    '  1   4: ......6... (07) r6 += -1',
    '  1   5: ......6... (55) if r6 != 0x0 goto pc-5',
    '      6: .......... (b7) r0 = 0',
    '      7: 0......... (95) exit',
  ]);
  t.deepEqual(preamble('r6 = 3\nl1:\nif r6 > 5 goto l1\nr0 = 0\nexit').slice(2), [
    '      0: .......... (b7) r6 = 3',
    '  1   1: ......6... (25) if r6 > 0x5 goto pc-1',
    '      2: .......... (b7) r0 = 0',
    '      3: 0......... (95) exit',
  ]);
});

test('subprograms: a bpf-to-bpf call reads r1-r5, a helper only its arguments', (t) => {
  t.deepEqual(preamble('r1 = 1\nr2 = 2\ncall sub\nr6 = r0\ncall bpf_get_prandom_u32#7\nr0 += r6\nexit\nsub:\nr0 = r1\nr0 += r2\nexit'), [
    'func#0 @0',
    'func#1 @7',
    'Live regs before insn:',
    '      0: ...345.... (b7) r1 = 1',
    '      1: .1.345.... (b7) r2 = 2',
    '      2: .12345.... (85) call pc+4',
    '      3: 0......... (bf) r6 = r0',
    '      4: ......6... (85) call bpf_get_prandom_u32#7',
    '      5: 0.....6... (0f) r0 += r6',
    '      6: 0......... (95) exit',
    '      7: .12....... (bf) r0 = r1',
    '      8: 0.2....... (0f) r0 += r2',
    '      9: 0......... (95) exit',
  ]);
  t.deepEqual(preamble('r1 = r10\nr1 += -8\nr2 = 8\nr3 = 0\ncall bpf_probe_read_kernel#113\nr1 = 0\nr2 = 0\ncall bpf_ktime_get_ns#5\nr0 = 0\nexit', 2).slice(2), [
    '      0: .......... (bf) r1 = r10',
    '      1: .1........ (07) r1 += -8',
    '      2: .1........ (b7) r2 = 8',
    '      3: .12....... (b7) r3 = 0',
    '      4: .123...... (85) call bpf_probe_read_kernel#113',
    '      5: .......... (b7) r1 = 0',
    '      6: .......... (b7) r2 = 0',
    '      7: .......... (85) call bpf_ktime_get_ns#5',
    '      8: .......... (b7) r0 = 0',
    '      9: 0......... (95) exit',
  ]);
});

test('a loop around a call, ld_imm64 (one row), may_goto, and LD_ABS (every register read)', (t) => {
  t.deepEqual(preamble('r6 = 3\nl1:\ncall sub\nr6 += -1\nif r6 != 0 goto l1\nr0 = 0\nexit\nsub:\nr0 = 0\nexit').slice(3), [
    '      0: .12345.... (b7) r6 = 3',
    '  1   1: .123456... (85) call pc+4',
    '  1   2: .123456... (07) r6 += -1',
    '  1   3: .123456... (55) if r6 != 0x0 goto pc-3',
    '      4: .......... (b7) r0 = 0',
    '      5: 0......... (95) exit',
    '      6: .......... (b7) r0 = 0',
    '      7: 0......... (95) exit',
  ]);
  t.deepEqual(preamble('r1 = 0x1122334455667788 ll\nr0 = r1\nexit').slice(2), [
    '      0: .......... (18) r1 = 0x1122334455667788',
    '      2: .1........ (bf) r0 = r1',
    '      3: 0......... (95) exit',
  ]);
  t.deepEqual(preamble('may_goto l1\nr0 = 1\nexit\nl1:\nr0 = 0\nexit').slice(2), [
    '      0: .......... (e5) may_goto pc+2',
    '      1: .......... (b7) r0 = 1',
    '      2: 0......... (95) exit',
    '      3: .......... (b7) r0 = 0',
    '      4: 0......... (95) exit',
  ]);
  t.deepEqual(preamble('r6 = r1\nr0 = *(u8 *)skb[12]\nr0 = 0\nexit').slice(2), [
    '      0: 012345.789 (bf) r6 = r1',
    '      1: 0123456789 (30) r0 = *(u8 *)skb[12]',
    '      2: .......... (b7) r0 = 0',
    '      3: 0......... (95) exit',
  ]);
});

test('a helper that calls back is an implicit loop: bpf_loop gets a component of its own', (t) => {
  t.deepEqual(preamble('r1 = 1\nr2 = 0\nr3 = 0\nr4 = 0\ncall bpf_loop#181\nr0 = 0\nexit').slice(2, 7), [
    '      0: .......... (b7) r1 = 1',
    '      1: .1........ (b7) r2 = 0',
    '      2: .12....... (b7) r3 = 0',
    '      3: .123...... (b7) r4 = 0',
    '  1   4: .1234..... (85) call bpf_loop#181',
  ]);
});

test('level 1 has no preamble', (t) => {
  const req: VerifierRequest = {
    progType: 1, expectedAttachType: 0, insns: encodeProgram(assemble('r0 = 0\nexit')), license: 'GPL', gplCompatible: true, progFlags: 0,
    logLevel: 1, logSize: 1 << 20, privileges: root,
  };
  t.false(verifier.verify(req).log.includes('Live regs'));
});
