// Precision tracking (mark_chain_precision, backtracking through the jump history, propagation on a
// prune). Each expected log is the level-2 log of the real Linux 6.18 verifier for the same socket
// filter (its "Live regs" preamble and liveness debug lines left out).
import test from 'ava';
import { isBpfError, type VerifierPrivileges, type VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { withoutPreamble } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const root: VerifierPrivileges = { allowPtrLeaks: true, allowUninitStack: true, bypassSpecV1: true, bypassSpecV4: true, bpfCapable: true, perfmonCapable: true };
/** `BPF_F_TEST_STATE_FREQ`: a checkpoint at every prune point. */
const TEST_STATE_FREQ = 8;

const hex = (insns: readonly string[]): Uint8Array => Uint8Array.from(Buffer.from(insns.join(''), 'hex'));
function req(insns: readonly string[], progFlags: number, over: Partial<VerifierRequest> = {}): VerifierRequest {
  return { progType: 1, expectedAttachType: 0, insns: hex(insns), license: 'GPL', gplCompatible: true, progFlags, logLevel: 2, logSize: 1 << 20,
    privileges: root, ...over };
}
function log(r: VerifierRequest): string[] {
  try {
    return withoutPreamble(verifier.verify(r).log.split('\n').filter((l) => l !== ''));
  } catch (e) {
    if (!isBpfError(e)) throw e;
    throw new Error(`rejected: ${e.message}`, { cause: e });
  }
}

const IMPRECISE = [
  '8500000007000000', '1500020000000000', 'b701000001000000', '0500010000000000', 'b701000002000000', 'bf10000000000000',
  '9500000000000000',
];
const PTR_ARITH = [
  '8500000007000000', '1500020000000000', 'b701000008000000', '0500010000000000', 'b701000010000000', 'bfa2000000000000',
  '07020000e8ffffff', '0f12000000000000', '7a02000000000000', 'b700000000000000', '9500000000000000',
];
const SPILL_FILL = [
  '8500000007000000', '1500020000000000', 'b701000008000000', '0500010000000000', 'b701000010000000', '7b1af8ff00000000',
  '79a3f8ff00000000', 'bfa2000000000000', '07020000e8ffffff', '0f32000000000000', '7a02000000000000', 'b700000000000000',
  '9500000000000000',
];
const PROPAGATE = [
  '8500000007000000', 'b701000008000000', '1500010000000000', 'b700000001000000', 'bfa2000000000000', '07020000f0ffffff',
  '0f12000000000000', '7a02000000000000', 'b700000000000000', '9500000000000000',
];
const LINKED = [
  '8500000007000000', '57000000ff000000', 'bf01000000000000', '2500040010000000', 'bfa2000000000000', '07020000e0ffffff',
  '0f12000000000000', 'b700000000000000', '9500000000000000',
];
const FALLBACK = [
  'bf16000000000000', '3000000000000000', '0500000000000000', 'bf01000000000000', '5701000008000000', 'bfa2000000000000',
  '07020000f0ffffff', '0f12000000000000', 'b700000000000000', '9500000000000000',
];

test('a scalar no instruction needed exactly does not stop pruning (r1 differs, the path is safe at the join)', (t) => {
  t.deepEqual(log(req(IMPRECISE, TEST_STATE_FREQ)), [
    '0: R1=ctx() R10=fp0',
    '0: (85) call bpf_get_prandom_u32#7    ; R0=scalar()',
    '1: (15) if r0 == 0x0 goto pc+2        ; R0=scalar(umin=1)',
    '2: (b7) r1 = 1                        ; R1=1',
    '3: (05) goto pc+1',
    '5: (bf) r0 = r1                       ; R0=1 R1=1',
    '6: (95) exit',
    'from 1 to 4: R0=0 R10=fp0',
    '4: R0=0 R10=fp0',
    '4: (b7) r1 = 2',
    '5: safe',
    'processed 8 insns (limit 1000000) max_states_per_insn 0 total_states 3 peak_states 3 mark_read 0',
  ]);
});

test('pointer += scalar marks the scalar precise back to its constant, through the stored states; a different constant is not pruned', (t) => {
  t.deepEqual(log(req(PTR_ARITH, TEST_STATE_FREQ)), [
    '0: R1=ctx() R10=fp0',
    '0: (85) call bpf_get_prandom_u32#7    ; R0=scalar()',
    '1: (15) if r0 == 0x0 goto pc+2        ; R0=scalar(umin=1)',
    '2: (b7) r1 = 8                        ; R1=8',
    '3: (05) goto pc+1',
    '5: (bf) r2 = r10                      ; R2=fp0 R10=fp0',
    '6: (07) r2 += -24                     ; R2=fp-24',
    '7: (0f) r2 += r1',
    'mark_precise: frame0: last_idx 7 first_idx 5 subseq_idx -1 ',
    'mark_precise: frame0: regs=r1 stack= before 6: (07) r2 += -24',
    'mark_precise: frame0: regs=r1 stack= before 5: (bf) r2 = r10',
    'mark_precise: frame0: parent state regs=r1 stack=:  R0=scalar(umin=1) R1=P8 R10=fp0',
    'mark_precise: frame0: last_idx 3 first_idx 1 subseq_idx 5 ',
    'mark_precise: frame0: regs=r1 stack= before 3: (05) goto pc+1',
    'mark_precise: frame0: regs=r1 stack= before 2: (b7) r1 = 8',
    '8: R1=8 R2=fp-16',
    '8: (7a) *(u64 *)(r2 +0) = 0           ; R2=fp-16 fp-16=0',
    '9: (b7) r0 = 0                        ; R0=0',
    '10: (95) exit',
    'from 1 to 4: R0=0 R10=fp0',
    '4: R0=0 R10=fp0',
    '4: (b7) r1 = 16                       ; R1=16',
    '5: (bf) r2 = r10                      ; R2=fp0 R10=fp0',
    '6: (07) r2 += -24                     ; R2=fp-24',
    '7: (0f) r2 += r1',
    'mark_precise: frame0: last_idx 7 first_idx 5 subseq_idx -1 ',
    'mark_precise: frame0: regs=r1 stack= before 6: (07) r2 += -24',
    'mark_precise: frame0: regs=r1 stack= before 5: (bf) r2 = r10',
    'mark_precise: frame0: parent state regs=r1 stack=:  R0=0 R1=P16 R10=fp0',
    'mark_precise: frame0: last_idx 4 first_idx 4 subseq_idx 5 ',
    'mark_precise: frame0: regs=r1 stack= before 4: (b7) r1 = 16',
    '8: R1=16 R2=fp-8',
    '8: (7a) *(u64 *)(r2 +0) = 0           ; R2=fp-8 fp-8=0',
    '9: (b7) r0 = 0                        ; R0=0',
    '10: (95) exit',
    'processed 17 insns (limit 1000000) max_states_per_insn 1 total_states 4 peak_states 4 mark_read 0',
  ]);
});

test('precision follows a scalar through a stack spill and fill (stack=-8)', (t) => {
  t.deepEqual(log(req(SPILL_FILL, TEST_STATE_FREQ)), [
    '0: R1=ctx() R10=fp0',
    '0: (85) call bpf_get_prandom_u32#7    ; R0=scalar()',
    '1: (15) if r0 == 0x0 goto pc+2        ; R0=scalar(umin=1)',
    '2: (b7) r1 = 8                        ; R1=8',
    '3: (05) goto pc+1',
    '5: (7b) *(u64 *)(r10 -8) = r1         ; R1=8 R10=fp0 fp-8=8',
    '6: (79) r3 = *(u64 *)(r10 -8)         ; R3=8 R10=fp0 fp-8=8',
    '7: (bf) r2 = r10                      ; R2=fp0 R10=fp0',
    '8: (07) r2 += -24                     ; R2=fp-24',
    '9: (0f) r2 += r3',
    'mark_precise: frame0: last_idx 9 first_idx 5 subseq_idx -1 ',
    'mark_precise: frame0: regs=r3 stack= before 8: (07) r2 += -24',
    'mark_precise: frame0: regs=r3 stack= before 7: (bf) r2 = r10',
    'mark_precise: frame0: regs=r3 stack= before 6: (79) r3 = *(u64 *)(r10 -8)',
    'mark_precise: frame0: regs= stack=-8 before 5: (7b) *(u64 *)(r10 -8) = r1',
    'mark_precise: frame0: parent state regs=r1 stack=:  R0=scalar(umin=1) R1=P8 R10=fp0',
    'mark_precise: frame0: last_idx 3 first_idx 1 subseq_idx 5 ',
    'mark_precise: frame0: regs=r1 stack= before 3: (05) goto pc+1',
    'mark_precise: frame0: regs=r1 stack= before 2: (b7) r1 = 8',
    '10: R2=fp-16 R3=8',
    '10: (7a) *(u64 *)(r2 +0) = 0          ; R2=fp-16 fp-16=0',
    '11: (b7) r0 = 0                       ; R0=0',
    '12: (95) exit',
    'from 1 to 4: R0=0 R10=fp0',
    '4: R0=0 R10=fp0',
    '4: (b7) r1 = 16                       ; R1=16',
    '5: (7b) *(u64 *)(r10 -8) = r1         ; R1=16 R10=fp0 fp-8=16',
    '6: (79) r3 = *(u64 *)(r10 -8)         ; R3=16 R10=fp0 fp-8=16',
    '7: (bf) r2 = r10                      ; R2=fp0 R10=fp0',
    '8: (07) r2 += -24                     ; R2=fp-24',
    '9: (0f) r2 += r3',
    'mark_precise: frame0: last_idx 9 first_idx 5 subseq_idx -1 ',
    'mark_precise: frame0: regs=r3 stack= before 8: (07) r2 += -24',
    'mark_precise: frame0: regs=r3 stack= before 7: (bf) r2 = r10',
    'mark_precise: frame0: regs=r3 stack= before 6: (79) r3 = *(u64 *)(r10 -8)',
    'mark_precise: frame0: regs= stack=-8 before 5: (7b) *(u64 *)(r10 -8) = r1',
    'mark_precise: frame0: parent state regs=r1 stack=:  R0=0 R1=P16 R10=fp0',
    'mark_precise: frame0: last_idx 4 first_idx 4 subseq_idx 5 ',
    'mark_precise: frame0: regs=r1 stack= before 4: (b7) r1 = 16',
    '10: R2=fp-8 R3=16',
    '10: (7a) *(u64 *)(r2 +0) = 0          ; R2=fp-8 fp-8=0',
    '11: (b7) r0 = 0                       ; R0=0',
    '12: (95) exit',
    'processed 21 insns (limit 1000000) max_states_per_insn 1 total_states 4 peak_states 4 mark_read 0',
  ]);
});

test('a pruned path takes over the precise registers of the state that pruned it (propagating r1)', (t) => {
  t.deepEqual(log(req(PROPAGATE, TEST_STATE_FREQ)), [
    '0: R1=ctx() R10=fp0',
    '0: (85) call bpf_get_prandom_u32#7    ; R0=scalar()',
    '1: (b7) r1 = 8                        ; R1=8',
    '2: (15) if r0 == 0x0 goto pc+1        ; R0=scalar(umin=1)',
    '3: (b7) r0 = 1                        ; R0=1',
    '4: (bf) r2 = r10                      ; R2=fp0 R10=fp0',
    '5: (07) r2 += -16                     ; R2=fp-16',
    '6: (0f) r2 += r1',
    'mark_precise: frame0: last_idx 6 first_idx 4 subseq_idx -1 ',
    'mark_precise: frame0: regs=r1 stack= before 5: (07) r2 += -16',
    'mark_precise: frame0: regs=r1 stack= before 4: (bf) r2 = r10',
    'mark_precise: frame0: parent state regs=r1 stack=:  R0=1 R1=P8 R10=fp0',
    'mark_precise: frame0: last_idx 3 first_idx 2 subseq_idx 4 ',
    'mark_precise: frame0: regs=r1 stack= before 3: (b7) r0 = 1',
    'mark_precise: frame0: regs=r1 stack= before 2: (15) if r0 == 0x0 goto pc+1',
    'mark_precise: frame0: parent state regs=r1 stack=:  R0=scalar() R1=P8 R10=fp0',
    'mark_precise: frame0: last_idx 1 first_idx 1 subseq_idx 2 ',
    'mark_precise: frame0: regs=r1 stack= before 1: (b7) r1 = 8',
    '7: R1=8 R2=fp-8',
    '7: (7a) *(u64 *)(r2 +0) = 0           ; R2=fp-8 fp-8=0',
    '8: (b7) r0 = 0                        ; R0=0',
    '9: (95) exit',
    'frame 0: propagating r1',
    'mark_precise: frame0: last_idx 4 first_idx 2 subseq_idx -1 ',
    'mark_precise: frame0: regs=r1 stack= before 2: (15) if r0 == 0x0 goto pc+1',
    'mark_precise: frame0: parent state regs= stack=:  R0=scalar() R1=P8 R10=fp0',
    'from 2 to 4: safe',
    'processed 11 insns (limit 1000000) max_states_per_insn 0 total_states 3 peak_states 3 mark_read 0',
  ]);
});

test('registers linked by a branch are traced together (regs=r0,r1), without BPF_F_TEST_STATE_FREQ', (t) => {
  t.deepEqual(log(req(LINKED, 0)), [
    '0: R1=ctx() R10=fp0',
    '0: (85) call bpf_get_prandom_u32#7    ; R0=scalar()',
    '1: (57) r0 &= 255                     ; R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))',
    '2: (bf) r1 = r0                       ; R0=scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff)) R1=scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))',
    '3: (25) if r0 > 0x10 goto pc+4        ; R0=scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=16,var_off=(0x0; 0x1f))',
    '4: (bf) r2 = r10                      ; R2=fp0 R10=fp0',
    '5: (07) r2 += -32                     ; R2=fp-32',
    '6: (0f) r2 += r1',
    'mark_precise: frame0: last_idx 6 first_idx 0 subseq_idx -1 ',
    'mark_precise: frame0: regs=r1 stack= before 5: (07) r2 += -32',
    'mark_precise: frame0: regs=r1 stack= before 4: (bf) r2 = r10',
    'mark_precise: frame0: regs=r1 stack= before 3: (25) if r0 > 0x10 goto pc+4',
    'mark_precise: frame0: regs=r0,r1 stack= before 2: (bf) r1 = r0',
    'mark_precise: frame0: regs=r0 stack= before 1: (57) r0 &= 255',
    'mark_precise: frame0: regs=r0 stack= before 0: (85) call bpf_get_prandom_u32#7',
    '7: R1=scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=16,var_off=(0x0; 0x1f)) R2=fp(off=-32,smin=smin32=0,smax=umax=smax32=umax32=16,var_off=(0x0; 0x1f))',
    '7: (b7) r0 = 0                        ; R0=0',
    '8: (95) exit',
    'from 3 to 8: safe',
    'processed 10 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0',
  ]);
});

test('an instruction backtracking cannot follow (BPF_LD_ABS) makes every scalar precise', (t) => {
  t.deepEqual(log(req(FALLBACK, TEST_STATE_FREQ)), [
    '0: R1=ctx() R10=fp0',
    '0: (bf) r6 = r1                       ; R1=ctx() R6=ctx()',
    '1: (30) r0 = *(u8 *)skb[0]            ; R0=scalar() R6=ctx()',
    '2: (05) goto pc+0',
    '3: (bf) r1 = r0                       ; R0=scalar(id=1) R1=scalar(id=1)',
    '4: (57) r1 &= 8                       ; R1=scalar(smin=smin32=0,smax=umax=smax32=umax32=8,var_off=(0x0; 0x8))',
    '5: (bf) r2 = r10                      ; R2=fp0 R10=fp0',
    '6: (07) r2 += -16                     ; R2=fp-16',
    '7: (0f) r2 += r1',
    'mark_precise: frame0: last_idx 7 first_idx 3 subseq_idx -1 ',
    'mark_precise: frame0: regs=r1 stack= before 6: (07) r2 += -16',
    'mark_precise: frame0: regs=r1 stack= before 5: (bf) r2 = r10',
    'mark_precise: frame0: regs=r1 stack= before 4: (57) r1 &= 8',
    'mark_precise: frame0: regs=r1 stack= before 3: (bf) r1 = r0',
    'mark_precise: frame0: parent state regs=r0 stack=:  R0=Pscalar() R6=ctx() R10=fp0',
    'mark_precise: frame0: last_idx 2 first_idx 0 subseq_idx 3 ',
    'mark_precise: frame0: regs=r0 stack= before 2: (05) goto pc+0',
    'mark_precise: frame0: regs=r0 stack= before 1: (30) r0 = *(u8 *)skb[0]',
    'mark_precise: frame0: falling back to forcing all scalars precise',
    '8: R1=scalar(smin=smin32=0,smax=umax=smax32=umax32=8,var_off=(0x0; 0x8)) R2=fp(off=-16,smin=smin32=0,smax=umax=smax32=umax32=8,var_off=(0x0; 0x8))',
    '8: (b7) r0 = 0                        ; R0=0',
    '9: (95) exit',
    'processed 10 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0',
  ]);
});

test('without CAP_BPF every scalar is precise: nothing is backtracked, and a differing scalar is not pruned', (t) => {
  const unpriv: VerifierPrivileges = { ...root, bpfCapable: false, allowPtrLeaks: false, allowUninitStack: false, bypassSpecV1: false, bypassSpecV4: false };
  const lines = log(req(IMPRECISE, TEST_STATE_FREQ, { privileges: unpriv }));
  t.false(lines.some((l) => l.startsWith('mark_precise')));
  t.false(lines.includes('5: safe'));
});

test('precision marks do not print at log level 1', (t) => {
  const lines = log(req(PTR_ARITH, TEST_STATE_FREQ, { logLevel: 1 }));
  t.false(lines.some((l) => l.startsWith('mark_precise')));
  t.is(lines.at(-1), 'processed 17 insns (limit 1000000) max_states_per_insn 1 total_states 4 peak_states 4 mark_read 0');
});

const CALL_THEN_BAD_LOAD = ['b701000001000000', '8510000002000000', '7900000000000000', '9500000000000000', 'bf10000000000000', '9500000000000000'];

function rejectedLog(r: VerifierRequest): string[] {
  try {
    verifier.verify(r);
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return withoutPreamble((e.log ?? '').split('\n').filter((l) => l !== ''));
  }
  throw new Error('accepted');
}

test('a subprogram call and return print the caller and callee states; level 2 adds "from <exit> to <return>:"', (t) => {
  const expected = [
    '0: R1=ctx() R10=fp0',
    '0: (b7) r1 = 1                        ; R1=1',
    '1: (85) call pc+2',
    'caller:',
    ' R10=fp0',
    'callee:',
    ' frame1: R1=1 R10=fp0',
    '4: frame1: R1=1 R10=fp0',
    '4: (bf) r0 = r1                       ; frame1: R0=1 R1=1',
    '5: (95) exit',
    'returning from callee:',
    ' frame1: R0=1 R1=1 R10=fp0',
    'to caller at 2:',
    ' R0=1 R10=fp0',
    'from 5 to 2: R0=1 R10=fp0',
    '2: (79) r0 = *(u64 *)(r0 +0)',
    'R0 invalid mem access \'scalar\'',
    'processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ];
  t.deepEqual(rejectedLog(req(CALL_THEN_BAD_LOAD, 0)), expected);
  t.deepEqual(rejectedLog(req(CALL_THEN_BAD_LOAD, 0, { logLevel: 1 })), expected.filter((l) => !l.startsWith('from ')));
});

test('at the stats level a rejected path logs its error and the statistics, no instructions (as the corpus level-4 logs)', (t) => {
  const lines = rejectedLog(req(CALL_THEN_BAD_LOAD, 0, { logLevel: 4 }));
  t.deepEqual(lines.filter((l) => !/^(verification time|stack depth)/.test(l)), [
    'R0 invalid mem access \'scalar\'',
    'processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ]);
});

test('a sign-extending load of a context pointer field is refused, of a scalar field allowed (as 6.18 on verifier_ldsx)', (t) => {
  const XDP = 6;
  const sxLoad = (off: string): string[] => [`8112${off}0000000000`.slice(0, 16), 'b700000000000000', '9500000000000000'];
  t.deepEqual(rejectedLog(req(sxLoad('0000'), 0, { progType: XDP, logLevel: 4 })).slice(0, 1), ['invalid bpf_context access off=0 size=4']);
  t.notThrows(() => verifier.verify(req(sxLoad('0c00'), 0, { progType: XDP, logLevel: 0 })));
});
