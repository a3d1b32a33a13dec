// The `stack depth` statistics line, as the real 6.18 kernel printed it for these programs
// (x86-64, JIT on): whole 8-byte slots, bpf_fastcall spills removed, may_goto's counter slots.
import test from 'ava';
import { isBpfError, type VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { insn } from './support/insn.js';
import { root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });

const mov = (d: number, imm: number): number[] => insn(0xb7, d, 0, 0, imm);
const spill = (off: number, r: number): number[] => insn(0x7b, 10, r, off);
const fill = (r: number, off: number): number[] => insn(0x79, r, 10, off);
const call = (id: number): number[] => insn(0x85, 0, 0, 0, id);
const exit = insn(0x95);
const GET_PRANDOM_U32 = 7, GET_SMP_PROCESSOR_ID = 8;

/** The statistics' `stack depth` line of a SCHED_CLS load. */
function stackLine(insns: number[][]): string {
  const req: VerifierRequest = {
    progType: 3, expectedAttachType: 0, insns: Uint8Array.from(insns.flat()), license: 'GPL', gplCompatible: true, progFlags: 0,
    logLevel: 4, logSize: 1 << 20, privileges: root,
  };
  let log: string;
  try {
    log = verifier.verify(req).log;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    log = e.log ?? '';
  }
  return log.split('\n').find((l) => l.startsWith('stack depth ')) ?? '';
}

test('a 4-byte store at fp-4 counts a whole slot: stack depth 8', (t) => {
  t.is(stackLine([insn(0x62, 10, 0, -4, 0), mov(0, 0), exit]), 'stack depth 8');
});

test('bpf_fastcall: spills around an inlined get_smp_processor_id are removed with their stack', (t) => {
  t.is(stackLine([mov(1, 1), spill(-8, 1), call(GET_SMP_PROCESSOR_ID), fill(1, -8), mov(0, 0), exit]), 'stack depth 0');
});

test('bpf_fastcall: another access to the pattern\'s slot keeps the stack', (t) => {
  t.is(stackLine([mov(1, 1), spill(-8, 1), call(GET_SMP_PROCESSOR_ID), fill(1, -8), insn(0x7a, 10, 0, -8, 0), mov(0, 0), exit]), 'stack depth 8');
});

test('bpf_fastcall: a helper the kernel does not inline keeps the stack', (t) => {
  t.is(stackLine([mov(1, 1), spill(-8, 1), call(GET_PRANDOM_U32), fill(1, -8), mov(0, 0), exit]), 'stack depth 8');
});

test('may_goto: two slots for the timed loop budget; may_goto +0 is dropped first', (t) => {
  t.is(stackLine([mov(0, 0), insn(0xe5, 0, 0, 1, 0), mov(0, 1), exit]), 'stack depth 16');
  t.is(stackLine([mov(0, 0), insn(0xe5, 0, 0, 0, 0), exit]), 'stack depth 0');
});

test('a load refused before the walk lists every subprogram found so far', (t) => {
  // call +1 (a subprogram at insn 2) whose last instruction is not an exit.
  t.is(stackLine([insn(0x85, 0, 1, 0, 1), mov(0, 1), exit, mov(0, 1)]), 'stack depth 0+0');
  // Three subprograms and an unreachable tail: refused by check_cfg.
  t.is(stackLine([insn(0x85, 0, 1, 0, 1), exit, insn(0x85, 0, 1, 0, 1), exit, mov(0, 0), exit, mov(0, 0), exit]), 'stack depth 0+0+0');
});
