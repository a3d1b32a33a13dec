// The `stack depth` statistics line, as the real 6.18 kernel printed it for these programs
// (x86-64, JIT on): whole 8-byte slots, bpf_fastcall spills removed, may_goto's counter slots.
import test from 'ava';
import { isBpfError, type VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { mainAndStatic } from './support/func-info.js';
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

test('a subprogram that tail-calls may sit on less than 256 bytes of its callers\' stack (EACCES, as 6.18)', (t) => {
  // main: fp-`depth` = 0; call sub; return 0. sub: r2 = prog array; r3 = 0; tail_call(ctx, r2, r3); return 0.
  const prog = (depth: number): VerifierRequest => {
    const main = [insn(0x7a, 10, 0, -depth, 0), insn(0x85, 0, 1, 0, 2), mov(0, 0), exit];
    const sub = [insn(0x18, 2, 1, 0, 7), insn(0), mov(3, 0), call(12), mov(0, 0), exit];
    return {
      progType: 3, expectedAttachType: 0, insns: Uint8Array.from([...main, ...sub].flat()), license: 'GPL', gplCompatible: true, progFlags: 0,
      logLevel: 1, logSize: 1 << 20, privileges: root, progBtf: mainAndStatic(main.length),
      maps: new Map([[7, { fd: 7, mapType: 3, keySize: 4, valueSize: 4, maxEntries: 4, mapFlags: 0, isMapInMap: false }]]),
    };
  };
  t.notThrows(() => verifier.verify(prog(240)));
  // 248 bytes count as 256: frames are 16-byte aligned.
  t.throws(() => verifier.verify(prog(248)));
  const err = t.throws(() => verifier.verify(prog(256)));
  t.true(isBpfError(err) && err.code === 'EACCES');
  t.regex(isBpfError(err) ? err.log ?? '' : '', /tail_calls are not allowed when call stack of previous frames is 256 bytes\. Too large\n/);
});
