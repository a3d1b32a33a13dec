// The stack liveness pass of Linux 6.18 (kernel/bpf/liveness.c) as its level-2 log shows it: at the end
// of each path (and at a subprogram's exit) the slots live before each instruction and those surely
// written after it are brought to a fixed point, per call chain, and each change is logged. The
// expected lines are the real kernel's for the same socket filters (loaded on this machine's 6.18).
import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const LIVENESS = /^\(\d+(,\d+)*\) (frame \d+ insn \d+ |live stack update done)/;

function livenessLines(text: string): string[] {
  const log = verifier.verify({
    progType: 1, expectedAttachType: 0, insns: encodeProgram(assemble(text)), license: 'GPL', gplCompatible: true, progFlags: 0,
    logLevel: 2, logSize: 1 << 20, privileges: root,
  }).log;
  return log.split('\n').filter((l) => LIVENESS.test(l));
}

test('a slot written then read: live before its reads, written before its write and everything before', (t) => {
  t.deepEqual(livenessLines(['call bpf_ktime_get_ns', 'r0 &= 255', '*(u64 *)(r10 -8) = r0', 'r1 = *(u64 *)(r10 -8)', 'r2 = *(u64 *)(r10 -8)',
    'if r1 > 5 goto +0', 'r0 = 0', 'exit'].join('\n')), [
    '(0) frame 0 insn 4 +live -8 ',
    '(0) frame 0 insn 3 +live -8 ',
    '(0) frame 0 insn 2 +written -8 ',
    '(0) frame 0 insn 1 +written -8 ',
    '(0) frame 0 insn 0 +written -8 ',
    '(0) live stack update done in 2 iterations',
  ]);
});

test('a callee reading its caller\'s stack: its own call chain first, then the read reaches the call instruction', (t) => {
  t.deepEqual(livenessLines(['r1 = 7', '*(u64 *)(r10 -8) = r1', 'r1 = r10', 'r1 += -8', 'call pc+2', 'r0 = 0', 'exit', 'r0 = *(u64 *)(r1 +0)', 'exit'].join('\n')), [
    '(4,7) frame 0 insn 7 +live -8 ',
    '(4,7) live stack update done in 2 iterations',
    '(0) frame 0 insn 4 +live -8 ',
    '(0) frame 0 insn 1 +written -8 ',
    '(0) frame 0 insn 0 +written -8 ',
    '(0) live stack update done in 2 iterations',
  ]);
});

test('a slot written on one path only is not surely written at the branch; a 4-byte write writes no slot', (t) => {
  t.deepEqual(livenessLines(['call bpf_get_prandom_u32', 'if r0 == 0 goto +2', 'r1 = 1', '*(u64 *)(r10 -16) = r1', 'r1 = 2',
    '*(u32 *)(r10 -8) = r1', 'r2 = *(u32 *)(r10 -8)', 'r0 = 0', 'exit'].join('\n')), [
    '(0) frame 0 insn 6 +live -8 ',
    '(0) frame 0 insn 4 +live -8 ',
    '(0) frame 0 insn 3 +live -8 ',
    '(0) frame 0 insn 3 +written -16 ',
    '(0) frame 0 insn 1 +live -8 ',
    '(0) frame 0 insn 0 +live -8 ',
    '(0) live stack update done in 2 iterations',
  ]);
});
