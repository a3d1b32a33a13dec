// Loads from read-only, frozen arrays (libbpf's .rodata and .kconfig) are constants, as
// `bpf_map_direct_read` makes them on 6.18. The expected logs were printed by the real Linux 6.18
// verifier for the same instructions (a BPF_F_RDONLY_PROG array of 16 bytes, updated, then frozen),
// with its "Live regs" preamble and stack-liveness lines left out. This verifier prints the map's
// address as the ld_imm64 immediate and neither the key size nor a map_ptr's sizes: `norm` evens that out.
import test from 'ava';
import { isBpfError, type VerifierMap, type VerifierPrivileges, type VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { withoutPreamble } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const root: VerifierPrivileges = { allowPtrLeaks: true, allowUninitStack: true, bypassSpecV1: true, bypassSpecV4: true, bpfCapable: true, perfmonCapable: true };
const VALUE = Uint8Array.from([5, 0, 0, 0, 0xff, 0xfe, 0x34, 0x12, 1, 2, 3, 4, 5, 6, 7, 0x88]);

/** A BPF_F_RDONLY_PROG array as the kernel describes it; `frozenValue` only once it is frozen. */
const ARRAY: VerifierMap = { fd: 3, mapType: 2, keySize: 4, valueSize: 16, maxEntries: 1, mapFlags: 1 << 7, isMapInMap: false };
function rodata(over: Partial<VerifierMap> = {}): ReadonlyMap<number, VerifierMap> {
  return new Map([[3, { ...ARRAY, frozenValue: VALUE, ...over }]]);
}
function run(insns: readonly string[], maps: ReadonlyMap<number, VerifierMap>): { code: string; lines: string[] } {
  const req: VerifierRequest = { progType: 1, expectedAttachType: 0, insns: Uint8Array.from(Buffer.from(insns.join(''), 'hex')), license: 'GPL',
    gplCompatible: true, progFlags: 0, logLevel: 2, logSize: 1 << 20, privileges: root, maps };
  try {
    return { code: 'ok', lines: lines(verifier.verify(req).log) };
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return { code: e.code, lines: lines(e.log ?? '') };
  }
}
const norm = (l: string): string => l
  .replace(/\(18\) (r\d+) = 0x[0-9a-f]+( *;|$)/, (_m, r: string, semi: string) => `(18) ${r} = <map>${semi === '' ? '' : ' ;'}`);
const lines = (log: string): string[] => withoutPreamble(log.split('\n').filter((l) => l !== '')).map(norm);

const BRANCH = ['1821000003000000', '0000000000000000', '6110000000000000', '5500010005000000', 'b700000001000000', 'b700000000000000', '9500000000000000'];

test('a u32 from a frozen read-only array is a constant: the branch on it is decided and its dead arm is not walked', (t) => {
  const r = run(BRANCH, rodata());
  t.is(r.code, 'ok');
  t.deepEqual(r.lines, [
    '0: R1=ctx() R10=fp0',
    '0: (18) r1 = 0xffff888136233b38       ; R1=map_value(ks=4,vs=16)',
    '2: (61) r0 = *(u32 *)(r1 +0)          ; R0=5 R1=map_value(ks=4,vs=16)',
    '3: (55) if r0 != 0x5 goto pc+1',
    'mark_precise: frame0: last_idx 3 first_idx 0 subseq_idx -1 ',
    'mark_precise: frame0: regs=r0 stack= before 2: (61) r0 = *(u32 *)(r1 +0)',
    '3: R0=5',
    '4: (b7) r0 = 1                        ; R0=1',
    '5: (b7) r0 = 0                        ; R0=0',
    '6: (95) exit',
    'processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ].map(norm));
});

test('without the frozen value (not frozen, writable, or not read-only) the load is an unknown u32 and both arms are walked', (t) => {
  const r = run(BRANCH, new Map([[3, ARRAY]]));
  t.is(r.code, 'ok');
  t.deepEqual(r.lines, [
    '0: R1=ctx() R10=fp0',
    '0: (18) r1 = 0xffff888136233538       ; R1=map_value(ks=4,vs=16)',
    '2: (61) r0 = *(u32 *)(r1 +0)          ; R0=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R1=map_value(ks=4,vs=16)',
    '3: (55) if r0 != 0x5 goto pc+1        ; R0=5',
    '4: (b7) r0 = 1                        ; R0=1',
    '5: (b7) r0 = 0                        ; R0=0',
    '6: (95) exit',
    'from 3 to 5: R0=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R1=map_value(ks=4,vs=16) R10=fp0',
    '5: R0=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R1=map_value(ks=4,vs=16) R10=fp0',
    '5: (b7) r0 = 0                        ; R0=0',
    '6: (95) exit',
    'processed 8 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ].map(norm));
});

test('every load size, little-endian, at the pointer offset plus the instruction offset; BPF_MEMSX sign-extends', (t) => {
  const r = run(['1821000003000000', '0000000004000000', '7112000000000000', '6913000000000000', '6114000000000000', '7915040000000000', '7916fcff00000000',
    '9117000000000000', '8918000000000000', '91190b0000000000', 'b700000000000000', '9500000000000000'], rodata());
  t.is(r.code, 'ok');
  t.deepEqual(r.lines, [
    '0: R1=ctx() R10=fp0',
    '0: (18) r1 = 0xffff888136233b3c       ; R1=map_value(ks=4,vs=16,off=4)',
    '2: (71) r2 = *(u8 *)(r1 +0)           ; R1=map_value(ks=4,vs=16,off=4) R2=255',
    '3: (69) r3 = *(u16 *)(r1 +0)          ; R1=map_value(ks=4,vs=16,off=4) R3=0xfeff',
    '4: (61) r4 = *(u32 *)(r1 +0)          ; R1=map_value(ks=4,vs=16,off=4) R4=0x1234feff',
    '5: (79) r5 = *(u64 *)(r1 +4)          ; R1=map_value(ks=4,vs=16,off=4) R5=0x8807060504030201',
    '6: (79) r6 = *(u64 *)(r1 -4)          ; R1=map_value(ks=4,vs=16,off=4) R6=0x1234feff00000005',
    '7: (91) r7 = *(s8 *)(r1 +0)           ; R1=map_value(ks=4,vs=16,off=4) R7=-1',
    '8: (89) r8 = *(s16 *)(r1 +0)          ; R1=map_value(ks=4,vs=16,off=4) R8=-257',
    '9: (91) r9 = *(s8 *)(r1 +11)          ; R1=map_value(ks=4,vs=16,off=4) R9=-120',
    '10: (b7) r0 = 0                       ; R0=0',
    '11: (95) exit',
    'processed 11 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ].map(norm));
});

test('a variable offset into the value gives no constant', (t) => {
  const r = run(['8500000007000000', '5700000004000000', '1821000003000000', '0000000000000000', '0f01000000000000', '6110000000000000', 'b700000000000000',
    '9500000000000000'], rodata());
  t.is(r.code, 'ok');
  t.deepEqual(r.lines, [
    '0: R1=ctx() R10=fp0',
    '0: (85) call bpf_get_prandom_u32#7    ; R0=scalar()',
    '1: (57) r0 &= 4                       ; R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=4,var_off=(0x0; 0x4))',
    '2: (18) r1 = 0xffff888136232f38       ; R1=map_value(ks=4,vs=16)',
    '4: (0f) r1 += r0',
    'mark_precise: frame0: last_idx 4 first_idx 0 subseq_idx -1 ',
    'mark_precise: frame0: regs=r0 stack= before 2: (18) r1 = 0xffff888136232f38',
    'mark_precise: frame0: regs=r0 stack= before 1: (57) r0 &= 4',
    'mark_precise: frame0: regs=r0 stack= before 0: (85) call bpf_get_prandom_u32#7',
    '5: R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=4,var_off=(0x0; 0x4)) R1=map_value(ks=4,vs=16,smin=smin32=0,smax=umax=smax32=umax32=4,var_off=(0x0; 0x4))',
    '5: (61) r0 = *(u32 *)(r1 +0)          ; R0=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R1=map_value(ks=4,vs=16,smin=smin32=0,smax=umax=smax32=umax32=4,var_off=(0x0; 0x4))',
    '6: (b7) r0 = 0                        ; R0=0',
    '7: (95) exit',
    'processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ].map(norm));
});

const LOOKUP = ['620afcff00000000', 'bfa2000000000000', '07020000fcffffff', '1811000003000000', '0000000000000000', '8500000001000000', '6100040000000000',
  '9500000000000000'];

test('a value reached through bpf_map_lookup_elem reads the same; an array of two entries has no direct value: ENOTSUPP, nothing logged', (t) => {
  const one = run(LOOKUP, rodata());
  t.is(one.code, 'ok');
  t.deepEqual(one.lines.slice(5), [
    '5: (85) call bpf_map_lookup_elem#1    ; R0=map_value(ks=4,vs=16)',
    '6: (61) r0 = *(u32 *)(r0 +4)          ; R0=0x1234feff',
    '7: (95) exit',
    'processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ].map(norm));
  const two = run(LOOKUP, rodata({ maxEntries: 2 }));
  t.is(two.code, 'ENOTSUPP');
  t.deepEqual(two.lines.slice(5), [
    '5: (85) call bpf_map_lookup_elem#1    ; R0=map_value(ks=4,vs=16)',
    '6: (61) r0 = *(u32 *)(r0 +4)',
    'processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ].map(norm));
});
