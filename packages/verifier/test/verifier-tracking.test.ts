// Scalar tracking, branches, packets, stack, references and pruning. The level-2 logs below were
// produced by the real Linux 6.18 verifier for the same instructions (its "Live regs" preamble and
// mark_precise lines, which this verifier does not print, left out).
import test from 'ava';
import fc from 'fast-check';
import { isBpfError, type VerifierMap, type VerifierPrivileges, type VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { withoutPreamble } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const root: VerifierPrivileges = { allowPtrLeaks: true, allowUninitStack: true, bypassSpecV1: true, bypassSpecV4: true, bpfCapable: true, perfmonCapable: true };

const hex = (insns: readonly string[]): Uint8Array => Uint8Array.from(Buffer.from(insns.join(''), 'hex'));
function req(insns: readonly string[], progType = 1, over: Partial<VerifierRequest> = {}): VerifierRequest {
  return { progType, expectedAttachType: 0, insns: hex(insns), license: 'GPL', gplCompatible: true, progFlags: 0, logLevel: 2, logSize: 1 << 20,
    privileges: root, ...over };
}
function outcome(r: VerifierRequest): { code: string; log: string } {
  try {
    return { code: 'ok', log: verifier.verify(r).log };
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return { code: e.code, log: e.log ?? '' };
  }
}
const lines = (log: string): string[] => withoutPreamble(log.split('\n').filter((l) => l !== ''));

test('ALU results and their printing match the kernel (div/mod unknown, bswap folded, ALU32 zero-extended, copies linked)', (t) => {
  const prog = ['b70000000a000000', '3700000003000000', 'b701000034120000', 'dc01000010000000', 'b4020000ffffffff', '8702000000000000',
    '8500000007000000', '57000000ff000000', '3700000002000000', '9700000007000000', 'bf03000000000000', '2703000003000000',
    '2400000003000000', 'b700000000000000', '9500000000000000'];
  t.deepEqual(lines(outcome(req(prog)).log), [
    '0: R1=ctx() R10=fp0',
    '0: (b7) r0 = 10                       ; R0=10',
    '1: (37) r0 /= 3                       ; R0=scalar()',
    '2: (b7) r1 = 4660                     ; R1=4660',
    '3: (dc) r1 = be16 r1                  ; R1=13330',
    '4: (b4) w2 = -1                       ; R2=0xffffffff',
    '5: (87) r2 = -r2                      ; R2=0xffffffff00000001',
    '6: (85) call bpf_get_prandom_u32#7    ; R0=scalar()',
    '7: (57) r0 &= 255                     ; R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))',
    '8: (37) r0 /= 2                       ; R0=scalar()',
    '9: (97) r0 %= 7                       ; R0=scalar()',
    '10: (bf) r3 = r0                      ; R0=scalar(id=1) R3=scalar(id=1)',
    '11: (27) r3 *= 3                      ; R3=scalar()',
    '12: (24) w0 *= 3                      ; R0=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))',
    '13: (b7) r0 = 0                       ; R0=0',
    '14: (95) exit',
    'processed 15 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ]);
});

test('shifts: known bits and the 32-bit bounds deduced across the sign boundary', (t) => {
  const prog = ['8500000007000000', '6700000038000000', 'c70000003c000000', 'bc01000000000000', '7401000001000000', '7700000002000000',
    'b700000000000000', '9500000000000000'];
  t.deepEqual(lines(outcome(req(prog)).log).slice(2, 7), [
    '1: (67) r0 <<= 56                     ; R0=scalar(smax=0x7f00000000000000,umax=0xff00000000000000,smin32=0,smax32=umax32=0,var_off=(0x0; 0xff00000000000000))',
    '2: (c7) r0 s>>= 60                    ; R0=scalar(smin=smin32=-8,smax=smax32=7)',
    '3: (bc) w1 = w0                       ; R0=scalar(smin=smin32=-8,smax=smax32=7) R1=scalar(smin=0,smax=umax=0xffffffff,smin32=-8,smax32=7,var_off=(0x0; 0xffffffff))',
    '4: (74) w1 >>= 1                      ; R1=scalar(smin=smin32=0,smax=umax=umax32=0x7fffffff,var_off=(0x0; 0x7fffffff))',
    '5: (77) r0 >>= 2                      ; R0=scalar(smin=0,smax=umax=0x3fffffffffffffff,var_off=(0x0; 0x3fffffffffffffff))',
  ]);
});

test('branches narrow both paths and linked copies (with a constant offset), over live registers only; pruning', (t) => {
  const prog = ['8500000007000000', 'bf01000000000000', '2500030064000000', '0700000001000000', 'c501010032000000', 'b700000000000000',
    'b700000000000000', '9500000000000000'];
  t.deepEqual(lines(outcome(req(prog)).log).slice(3), [
    '2: (25) if r0 > 0x64 goto pc+3        ; R0=scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=100,var_off=(0x0; 0x7f))',
    '3: (07) r0 += 1                       ; R0=scalar(id=1+1,smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=101,var_off=(0x0; 0x7f))',
    '4: (c5) if r1 s< 0x32 goto pc+1       ; R1=scalar(id=1,smin=umin=smin32=umin32=50,smax=umax=smax32=umax32=100,var_off=(0x0; 0x7f))',
    '5: (b7) r0 = 0                        ; R0=0',
    '6: (b7) r0 = 0                        ; R0=0',
    '7: (95) exit',
    'from 4 to 6: R0=scalar(id=1+1,smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=101,var_off=(0x0; 0x7f)) R1=scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=49,var_off=(0x0; 0x3f)) R10=fp0',
    '6: R0=scalar(id=1+1,smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=101,var_off=(0x0; 0x7f)) R1=scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=49,var_off=(0x0; 0x3f)) R10=fp0',
    '6: (b7) r0 = 0                        ; R0=0',
    '7: (95) exit',
    'from 2 to 6: safe',
    'processed 11 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0',
  ]);
});

test('signed and unsigned 32-bit ranges intersect across the sign boundary', (t) => {
  // w0 <= 0x80000003 and -3 <= (s32)w0 <= 5 leaves [0, 5]: the write to r10 after "w0 > 5" is dead.
  const prog = ['8500000007000000', '54000000ffffffff', '2600040003000080', 'c6000300fdffffff', '6600020005000000', 'b600010005000000',
    'b70a000000000000', '9500000000000000'];
  t.is(outcome(req(prog)).code, 'ok');
});

test('a branch decided by the bounds is not explored', (t) => {
  // r0 = 1; if r0 == 1 goto +1; r0 = *(u64 *)(r5 +0) (dead: r5 is not initialised); exit
  const r = outcome(req(['b700000001000000', '1500010001000000', '7950000000000000', '9500000000000000']));
  t.is(r.code, 'ok');
  t.true(r.log.includes('processed 3 insns'));
});

test('packet pointers: a pkt_end comparison gives the range; without it the access is refused', (t) => {
  const ok = ['6112000000000000', '6113040000000000', 'bf24000000000000', '0704000008000000', '2d34010000000000', '6120000000000000',
    'b700000001000000', '9500000000000000'];
  t.deepEqual(lines(outcome(req(ok, 6)).log).slice(1, 11), [
    '0: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx() R2=pkt(r=0)',
    '1: (61) r3 = *(u32 *)(r1 +4)          ; R1=ctx() R3=pkt_end()',
    '2: (bf) r4 = r2                       ; R2=pkt(r=0) R4=pkt(r=0)',
    '3: (07) r4 += 8                       ; R4=pkt(off=8,r=0)',
    '4: (2d) if r4 > r3 goto pc+1          ; R3=pkt_end() R4=pkt(off=8,r=8)',
    '5: (61) r0 = *(u32 *)(r2 +0)          ; R0=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R2=pkt(r=8)',
    '6: (b7) r0 = 1                        ; R0=1',
    '7: (95) exit',
    'from 4 to 6: R1=ctx() R2=pkt(r=0) R3=pkt_end() R4=pkt(off=8,r=0xfffffffffffffffe) R10=fp0',
    '6: R1=ctx() R2=pkt(r=0) R3=pkt_end() R4=pkt(off=8,r=0xfffffffffffffffe) R10=fp0',
  ]);
  const bad = outcome(req(['6112000000000000', '6120000000000000', 'b700000001000000', '9500000000000000'], 6));
  t.is(bad.code, 'EACCES');
  t.true(bad.log.includes('invalid access to packet, off=0 size=4, R2(id=0,off=0,r=0)\nR2 offset is outside of the packet\n'));
  // Socket filters cannot read skb->data at all.
  t.true(outcome(req(['61124c0000000000', 'b700000000000000', '9500000000000000'], 1)).log.includes('invalid bpf_context access off=76 size=4'));
});

test('stack: pointer spills keep their type, partial fills of a pointer are refused, variable-offset writes', (t) => {
  t.is(outcome(req(['7b1af8ff00000000', '79a2f8ff00000000', '6120000000000000', '9500000000000000'])).code, 'ok');
  const fill = outcome(req(['7b1af8ff00000000', '61a2f8ff00000000', 'b700000000000000', '9500000000000000']));
  t.is(fill.code, 'EACCES');
  t.true(fill.log.includes('invalid size of register fill'));
  // r0 = prandom & 7; r1 = r10 - 16 + r0; *(u8 *)(r1) = 1
  const varOff = ['8500000007000000', '5700000007000000', 'bfa1000000000000', '07010000f0ffffff', '0f01000000000000',
    '7201000001000000', 'b700000000000000', '9500000000000000'];
  const r = outcome(req(varOff));
  t.is(r.code, 'ok');
  t.true(r.log.includes('R1=fp(off=-16,smin=smin32=0,smax=umax=smax32=umax32=7,var_off=(0x0; 0x7)) fp-16=mmmmmmmm'));
  // Without the Spectre v1 bypass the variable offset itself is refused.
  const unpriv = outcome(req(varOff, 1, { privileges: { ...root, bypassSpecV1: false } }));
  t.is(unpriv.code, 'EACCES');
  t.true(unpriv.log.includes('R1 variable stack access prohibited for !root, var_off=(0x0; 0x7) off=-16'));
  // Unbounded: r1 = r10 + prandom.
  const unbounded = outcome(req(['8500000007000000', 'bfa1000000000000', '0f01000000000000', '7201000001000000', 'b700000000000000', '9500000000000000']));
  t.is(unbounded.code, 'EINVAL');
  t.true(unbounded.log.includes('math between fp pointer and register with unbounded min value is not allowed'));
});

test('references: an acquired socket must be released before exit; release through a null-checked copy', (t) => {
  const lookup = ['7a0af0ff00000000', '7a0af8ff00000000', 'bfa2000000000000', '07020000f0ffffff', 'b70300000c000000', 'b704000000000000',
    'b705000000000000', '8500000054000000'];
  const leak = outcome(req([...lookup, 'b700000000000000', '9500000000000000'], 3));
  t.is(leak.code, 'EINVAL');
  t.deepEqual(lines(leak.log).slice(-5, -1), [
    '8: (b7) r0 = 0                        ; R0=0 refs=2',
    '9: (95) exit',
    'Unreleased reference id=2 alloc_insn=7',
    'BPF_EXIT instruction in main prog would lead to reference leak',
  ]);
  const released = outcome(req([...lookup, '1500020000000000', 'bf01000000000000', '8500000056000000', 'b700000000000000', '9500000000000000'], 3));
  t.is(released.code, 'ok');
  t.true(released.log.includes('9: (bf) r1 = r0                       ; R0=sock(ref_obj_id=2) R1=sock(ref_obj_id=2) refs=2'));
});

test('a 32-bit spill links the stack slot to its register; helpers that move the packet invalidate packet pointers', (t) => {
  // w0 = prandom & 0x80000000; *(u32 *)(r10 -8) = r0; r1 = *(u32 *)(r10 -8); if r1 != 0 goto out; if r0 == 0 goto out; r0 = *(u64 *)(r9)
  const spill = ['8500000007000000', '5400000000000080', '630af8ff00000000', '61a1f8ff00000000', 'b702000000000000', '5d21030000000000',
    '1d20020000000000', '7990000000000000', '9500000000000000', 'b700000000000000', '9500000000000000'];
  t.is(outcome(req(spill, 6)).code, 'ok');
  // r6 = ctx; r2 = data; r3 = data_end; r4 = r2 + 1; if r4 > r3 goto out; r7 = r2; call xdp_adjust_head(r6, 0); r0 = *(u8 *)(r7)
  const moved = outcome(req(['bf16000000000000', '6162000000000000', '6163040000000000', 'bf24000000000000', '0704000001000000',
    '2d34050000000000', 'bf27000000000000', 'bf61000000000000', 'b702000000000000', '850000002c000000', '7170000000000000', 'b700000000000000',
    '9500000000000000'], 6));
  t.is(moved.code, 'EACCES');
  t.true(moved.log.includes("R7 invalid mem access 'scalar'"));
});

test('loops: bounded loops run to completion, identical states loop forever, the complexity limit', (t) => {
  const loop = outcome(req(['b700000000000000', '0700000001000000', 'a500feff0a000000', '9500000000000000']));
  t.true(loop.log.endsWith('processed 22 insns (limit 1000000) max_states_per_insn 1 total_states 2 peak_states 2 mark_read 0\n'));
  const inf = outcome(req(['b700000000000000', '1500ffff00000000', '9500000000000000']));
  t.is(inf.code, 'EINVAL');
  t.true(inf.log.includes('infinite loop detected at insn 1\ncur state: R0=0 R1=ctx() R10=fp0\n'));
});

test('atomics: fetch-add on the stack loads the old value and leaves the slot misc', (t) => {
  const r = outcome(req(['7a0af8ff01000000', 'b701000002000000', 'db1af8ff01000000', '79a0f8ff00000000', '9500000000000000']));
  t.true(r.log.includes('2: (db) r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)          ; R1=1 R10=fp0 fp-8=mmmmmmmm'));
  const ctx = outcome(req(['b702000002000000', 'c321000000000000', 'b700000000000000', '9500000000000000']));
  t.is(ctx.code, 'EACCES');
  t.true(ctx.log.includes('BPF_ATOMIC stores into R1 ctx is not allowed'));
});

test('combined stack of a call chain is limited to 512 bytes', (t) => {
  // main: *(u8 *)(r10 -300) = 0; call pc+2; r0 = 0; exit; sub: *(u8 *)(r10 -300) = 0; r0 = 0; exit
  const r = outcome(req(['720ad4fe00000000', '8510000002000000', 'b700000000000000', '9500000000000000', '720ad4fe00000000',
    'b700000000000000', '9500000000000000']));
  t.is(r.code, 'EACCES');
  t.true(r.log.includes('combined stack size of 2 calls is 608. Too large'));
});

test('random instruction streams never crash or hang the verifier', (t) => {
  const insn = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: -4, max: 4 }),
    fc.oneof(fc.integer({ min: -16, max: 16 }), fc.integer()));
  fc.assert(fc.property(fc.array(insn, { minLength: 1, maxLength: 24 }), (list) => {
    const bytes = new Uint8Array(list.length * 8 + 8);
    const view = new DataView(bytes.buffer);
    list.forEach(([code, regs, off, imm], i) => {
      view.setUint8(i * 8, code); view.setUint8(i * 8 + 1, regs); view.setInt16(i * 8 + 2, off, true); view.setInt32(i * 8 + 4, imm, true);
    });
    view.setUint8(list.length * 8, 0x95);
    try {
      verifier.verify({ ...req([]), insns: bytes, logLevel: 0, logSize: 0 });
    } catch (e) {
      if (!isBpfError(e)) throw e;
    }
  }), { numRuns: 400 });
  t.pass();
});

test('maps: value bounds, constant-key array lookups cannot fail, read-only maps, prog arrays for tail calls', (t) => {
  const map = (fd: number, mapType: number, keySize: number, valueSize: number, mapFlags = 0): [number, VerifierMap] =>
    [fd, { fd, mapType, keySize, valueSize, maxEntries: 1, mapFlags, isMapInMap: false }];
  const maps = new Map([map(3, 2, 4, 48), map(4, 2, 4, 48, 1 << 7), map(5, 1, 8, 8, 1)]);
  // *(u32 *)(r10 -4) = 0; r2 = r10 - 4; r1 = map; call map_lookup_elem
  const lookup = (fd: string): string[] => ['620afcff00000000', 'bfa2000000000000', '07020000fcffffff', `181100000${fd}000000`, '0000000000000000', '8500000001000000'];
  const run = (insns: string[]): { code: string; log: string } => outcome(req(insns, 1, { maps, logLevel: 1 }));
  t.is(run([...lookup('3'), '1500010000000000', '7900280000000000', 'b700000000000000', '9500000000000000']).code, 'ok');
  const oob = run([...lookup('3'), '1500010000000000', '79002c0000000000', 'b700000000000000', '9500000000000000']);
  t.is(oob.code, 'EACCES');
  t.true(oob.log.includes('invalid access to map value, value_size=48 off=44 size=8\nR0 min value is outside of the allowed memory range\n'));
  // The key is the constant 0 and the array has one entry: no null check needed (as on 6.18).
  t.is(run([...lookup('3'), '7900000000000000', 'b700000000000000', '9500000000000000']).code, 'ok');
  const ro = run([...lookup('4'), '1500010000000000', '7a00000001000000', 'b700000000000000', '9500000000000000']);
  t.true(ro.log.includes('write into map forbidden, value_size=48 off=0 size=8'));
  const tail = run(['1812000005000000', '0000000000000000', 'b703000000000000', '850000000c000000', 'b700000000000000', '9500000000000000']);
  t.is(tail.code, 'EINVAL');
  t.true(tail.log.endsWith('expected prog array map for tail callprocessed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n'));
});

test('ld_imm64 map value: the offset bound first, then the array\'s own check, with 6.18\'s messages and errno', (t) => {
  const maps = new Map<number, VerifierMap>([
    [3, { fd: 3, mapType: 2, keySize: 4, valueSize: 48, maxEntries: 1, mapFlags: 0, isMapInMap: false }],
    [4, { fd: 4, mapType: 2, keySize: 4, valueSize: 48, maxEntries: 4, mapFlags: 0, isMapInMap: false }],
  ]);
  const load = (fd: string, off: string): { code: string; log: string } =>
    outcome(req([`182100000${fd}000000`, `00000000${off}`, 'b700000000000000', '9500000000000000'], 1, { maps, logLevel: 4 }));
  t.is(load('3', '28000000').code, 'ok');
  const past = load('3', '30000000');
  t.deepEqual([past.code, past.log.split('\n')[0]], ['EINVAL', 'invalid access to map value pointer, value_size=48 off=48']);
  const huge = load('3', '00000020');
  t.deepEqual([huge.code, huge.log.split('\n')[0]], ['EINVAL', 'direct value offset of 536870912 is not allowed']);
  const many = load('4', '00000000');
  t.deepEqual([many.code, many.log.split('\n')[0]], ['ENOTSUPP', 'invalid access to map value pointer, value_size=48 off=0']);
});
