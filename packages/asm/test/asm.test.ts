import test from 'ava';
import { isBpfError } from '@bpfkit/kernel-api';
import {
  B, BPF_ADD, BPF_AND, BPF_DIV, BPF_JGT, BPF_JNE, BPF_JSLT, BPF_LSH, BPF_MOD, BPF_OR, BPF_SUB, BPF_XOR, DW, H, R0, R1,
  R10, R2, R3, W, addrSpaceCast, alu32Imm, alu32Reg, alu64Imm, alu64Reg, assemble, assertValid, atomic, atomicCmpxchg,
  atomicFetch, atomicXchg, bswap, call, callKfunc, callLocal, callx, decodeHex, decodeProgram, disassemble, encodeHex,
  encodeProgram, endian, exit, formatInsn, formatLogInsn, formatLogLine, gotol, imm64, type Insn, ja, jmp32Imm, jmp32Reg,
  jmpImm, jmpReg, ldAbs, ldBtfId, ldFunc, ldImm64, ldInd, ldMapFd, ldMapIdx, ldMapIdxValue, ldMapValue, ldxMem, ldxMemsx,
  loadAcquire, mayGoto, mov32Imm, mov32Reg, mov64Imm, mov64Reg, movsx, neg, rawInsn, sdivmod, slotCount, stMem,
  storeRelease, stxMem, validate, xadd,
} from '@bpfkit/asm';

/** builder result, kernel text, conformance text, log text (without the `(code) ` prefix when equal to kernel). */
const FORMS: readonly (readonly [Insn, string, string, string?])[] = [
  [mov64Imm(R0, 0), 'r0 = 0', 'mov %r0, 0'],
  [mov32Imm(R0, -1), 'w0 = -1', 'mov32 %r0, -1'],
  [mov64Reg(R1, R2), 'r1 = r2', 'mov %r1, %r2'],
  [mov32Reg(R1, R2), 'w1 = w2', 'mov32 %r1, %r2'],
  [alu64Imm(BPF_ADD, R1, 4), 'r1 += 4', 'add %r1, 4'],
  [alu32Imm(BPF_LSH, R1, 3), 'w1 <<= 3', 'lsh32 %r1, 3'],
  [alu64Reg(BPF_XOR, R0, R0), 'r0 ^= r0', 'xor %r0, %r0'],
  [alu32Reg(BPF_SUB, R0, R3), 'w0 -= w3', 'sub32 %r0, %r3'],
  [sdivmod(BPF_DIV, true, R0, undefined, 3), 'r0 s/= 3', 'sdiv %r0, 3'],
  [sdivmod(BPF_MOD, false, R0, R1), 'w0 s%= w1', 'smod32 %r0, %r1'],
  [movsx(true, R1, R2, 8), 'r1 = (s8)r2', 'movsx864 %r1, %r2'],
  [movsx(false, R1, R2, 16), 'w1 = (s16)w2', 'movsx1632 %r1, %r2'],
  [movsx(true, R1, R2, 32), 'r1 = (s32)r2', 'movsx3264 %r1, %r2'],
  [neg(true, R0), 'r0 = -r0', 'neg %r0'],
  [neg(false, R0), 'w0 = -w0', 'neg32 %r0'],
  [endian('be', R1, 16), 'r1 = be16 r1', 'be16 %r1'],
  [endian('le', R1, 64), 'r1 = le64 r1', 'le64 %r1'],
  [bswap(R1, 32), 'r1 = bswap32 r1', 'bswap32 %r1'],
  [addrSpaceCast(R1, R2, 0, 1), 'r1 = addr_space_cast(r2, 0, 1)', '.insn 0x00000001000121bf'],
  [ldxMem(W, R0, R1, 4), 'r0 = *(u32 *)(r1 +4)', 'ldxw %r0, [%r1+4]'],
  [ldxMemsx(B, R0, R10, -1), 'r0 = *(s8 *)(r10 -1)', 'ldxsb %r0, [%r10-1]'],
  [stxMem(DW, R10, R1, -8), '*(u64 *)(r10 -8) = r1', 'stxdw [%r10-8], %r1'],
  [stMem(H, R10, -2, 7), '*(u16 *)(r10 -2) = 7', 'sth [%r10-2], 7'],
  [xadd(DW, R10, R1, -8), 'lock *(u64 *)(r10 -8) += r1', 'lock add [%r10-8], %r1'],
  [atomic(W, BPF_XOR, R10, R1, -4), 'lock *(u32 *)(r10 -4) ^= r1', 'lock xor32 [%r10-4], %r1'],
  [atomicFetch(DW, BPF_OR, R10, R1, -8), 'r1 = atomic64_fetch_or((u64 *)(r10 -8), r1)', 'lock fetch or [%r10-8], %r1'],
  [atomicFetch(W, BPF_AND, R10, R1, -8), 'r1 = atomic_fetch_and((u32 *)(r10 -8), r1)', 'lock fetch and32 [%r10-8], %r1'],
  [atomicXchg(DW, R10, R1, -8), 'r1 = atomic64_xchg((u64 *)(r10 -8), r1)', 'lock xchg [%r10-8], %r1'],
  [atomicCmpxchg(W, R10, R1, -8), 'r0 = atomic_cmpxchg((u32 *)(r10 -8), r0, r1)', 'lock cmpxchg32 [%r10-8], %r1'],
  [loadAcquire(DW, R0, R1, 0), 'r0 = load_acquire((u64 *)(r1 +0))', '.insn 0x00000100000010db'],
  [storeRelease(B, R1, R2, 8), 'store_release((u8 *)(r1 +8), r2)', '.insn 0x00000110000821d3'],
  [ldAbs(H, 12), 'r0 = *(u16 *)skb[12]', 'ldabsh 12'],
  [ldInd(B, R1, -4), 'r0 = *(u8 *)skb[r1 + -4]', 'ldindb %r1, -4'],
  [ldImm64(R0, 0x1122334455667788n), 'r0 = 0x1122334455667788 ll', 'lddw %r0, 0x1122334455667788', 'r0 = 0x1122334455667788'],
  [ldMapFd(R1, 3), 'r1 = map[fd:3]', '.insn 0x0000000300001118, 0x0000000000000000', 'r1 = 0x3'],
  [ldMapValue(R1, 3, 16), 'r1 = map[fd:3][0]+16', '.insn 0x0000000300002118, 0x0000001000000000', 'r1 = 0x1000000003'],
  [ldBtfId(R1, 42), 'r1 = btf[id:42]', '.insn 0x0000002a00003118, 0x0000000000000000', 'r1 = 0x2a'],
  [ldFunc(R2, 5), 'r2 = subprog[pc+5]', '.insn 0x0000000500004218, 0x0000000000000000', 'r2 = 0x5'],
  [ldMapIdx(R1, 0), 'r1 = map[idx:0]', '.insn 0x0000000000005118, 0x0000000000000000', 'r1 = 0x0'],
  [ldMapIdxValue(R1, 1, 8), 'r1 = map[idx:1][0]+8', '.insn 0x0000000100006118, 0x0000000800000000', 'r1 = 0x800000001'],
  [jmpImm(BPF_JGT, R1, 5, 3), 'if r1 > 0x5 goto pc+3', 'jgt %r1, 5, +3'],
  [jmpReg(BPF_JNE, R1, R2, -4), 'if r1 != r2 goto pc-4', 'jne %r1, %r2, -4'],
  [jmp32Imm(BPF_JSLT, R0, -1, 1), 'if w0 s< 0xffffffff goto pc+1', 'jslt32 %r0, -1, +1'],
  [jmp32Reg(BPF_JSLT, R0, R1, 2), 'if w0 s< w1 goto pc+2', 'jslt32 %r0, %r1, +2'],
  [ja(2), 'goto pc+2', 'ja +2'],
  [gotol(70000), 'gotol pc+70000', 'ja32 +70000'],
  [mayGoto(3), 'may_goto pc+3', '.insn 0x00000000000300e5'],
  [call('map_lookup_elem'), 'call bpf_map_lookup_elem#1', 'call 1'],
  [call(9999), 'call unknown#9999', 'call 9999'],
  [callLocal(4), 'call pc+4', 'call local +4'],
  [callKfunc(12345), 'call kernel-function#12345', 'call runtime 12345'],
  [callx(R2), 'callx r2', 'call %r2', 'call bpf_unspec#0'],
  [exit(), 'exit', 'exit'],
];

for (const [insn, kernel, conformance, log] of FORMS) {
  test(`${kernel}: kernel, conformance and log forms, and back`, (t) => {
    t.is(formatInsn(insn), kernel);
    t.is(formatInsn(insn, { syntax: 'conformance' }), conformance);
    t.is(formatLogInsn(insn).replace(/^\([0-9a-f]{2}\) /, ''), log ?? kernel);
    t.is(encodeHex(assemble(kernel)), encodeHex([insn]));
    t.is(encodeHex(assemble(conformance, { syntax: 'conformance' })), encodeHex([insn]));
  });
}

test('ld_imm64 is one logical instruction over two slots and keeps its second slot', (t) => {
  const odd = decodeHex('18000000010000000011010002000000' + '9500000000000000');
  t.is(odd.length, 2);
  t.is(slotCount(odd), 3);
  t.deepEqual(odd[0]?.second, { code: 0, dst: 1, src: 1, off: 1, imm: 2 });
  t.is(encodeHex(odd), '18000000010000000011010002000000' + '9500000000000000');
  t.is(imm64(ldImm64(R0, -1n)), 0xffffffffffffffffn);
  const text = disassemble(odd);
  t.regex(text, /^\.insn 0x0000000100000018, 0x0000000200011100/);
  t.is(encodeHex(assemble(text)), encodeHex(odd));
});

test('the log form prints slot numbers and the kernel quirks (BUG lines, no ll, callx as a helper call)', (t) => {
  t.is(formatLogLine(mov64Imm(R0, 0), 0), '0: (b7) r0 = 0');
  t.is(disassemble([ldImm64(R1, 5), exit()], { log: true }), '0: (18) r1 = 0x5\n2: (95) exit');
  t.is(formatLogInsn(rawInsn(0x21, 0, 0, 0, 0)), 'BUG_ldx_21');
  t.is(formatLogInsn(rawInsn(0x96, 0, 0, 0, 0)), '(96) if w0 exit 0x0 goto pc+0');
  t.is(formatLogInsn(ldMapFd(R1, 3), { allowPtrLeaks: false }), '(18) r1 = 0x0');
  t.is(formatLogInsn(callKfunc(7), { callName: () => 'bpf_rcu_read_lock' }), '(85) call bpf_rcu_read_lock#7');
});

test('encodings a syntax cannot spell fall back to .insn and still round-trip', (t) => {
  for (const insn of [rawInsn(0x07, 0, 0, 1, 1), rawInsn(0x95, 0, 0, 1, 0), rawInsn(0xdc, 0, 1, 0, 16), rawInsn(0xff, 15, 15, -1, -1)]) {
    for (const syntax of ['kernel', 'conformance'] as const) {
      const text = formatInsn(insn, { syntax });
      t.true(text.startsWith('.insn 0x'), text);
      t.is(encodeHex(assemble(text, { syntax })), encodeHex([insn]));
    }
  }
});

test('the kernel syntax reads llvm-objdump spellings, log lines, labels and helper names', (t) => {
  const text = `
    0: (b7) r0 = 0                        ; R0_w=0
    w1 = *(u32 *)(r2 + 0x4)
    *(u32 *)(r10 - 4) = w1
    if r1 > 5 goto +1 <LBB0_2>
    call bpf_ktime_get_ns
  loop:
    r0 += 1
    if r0 < 10 goto loop
    call sub
    exit
  sub:
    r0 = 1
    exit`;
  const insns = assemble(text);
  t.deepEqual(disassemble(insns).split('\n'), [
    'r0 = 0', 'r1 = *(u32 *)(r2 +4)', '*(u32 *)(r10 -4) = r1', 'if r1 > 0x5 goto pc+1', 'call bpf_ktime_get_ns#5',
    'r0 += 1', 'if r0 < 0xa goto pc-2', 'call pc+1', 'exit', 'r0 = 1', 'exit',
  ]);
  t.is(formatInsn(assemble('3: (18) r1 = 0xffff8881042c7b38')[0] ?? exit()), 'r1 = 0xffff8881042c7b38 ll');
});

test('the conformance dialect reads labels, the implicit exit label and hex immediates up to 0xffffffff', (t) => {
  const insns = assemble('mov %r0, 0\njeq %r1, 0xffffffff, exit\ncall local f\nexit\nf:\nmov32 %r0, 0x80000000\nexit', { syntax: 'conformance' });
  t.deepEqual(insns[1], jmpImm(0x10, R1, -1, 1));
  t.deepEqual(insns[2], callLocal(1));
  t.is(insns[4]?.imm, -0x80000000);
});

const BAD_TEXT: readonly (readonly [string, 'kernel' | 'conformance', RegExp])[] = [
  ['', 'kernel', /no instructions/],
  ['r0 = ', 'kernel', /line 1: cannot parse/],
  ['r0 = 4294967296', 'kernel', /out of range/],
  ['r16 = 1', 'kernel', /invalid register 'r16'/],
  ['goto nowhere', 'kernel', /undefined label 'nowhere'/],
  ['call bpf_no_such_helper', 'kernel', /unknown helper/],
  ['x:\nx:\nexit', 'kernel', /defined twice/],
  ['r0 = *(s64 *)(r1 +0)', 'kernel', /64-bit sign-extending/],
  ['.insn 0x18', 'kernel', /second slot/],
  ['goto +40000', 'kernel', /does not fit 16 bits/],
  ['mov32 %r0, 2147483648', 'conformance', /out of range/],
  ['mov32 %r0, 0x100000000', 'conformance', /out of range/],
  ['ja NOT_A_LABEL', 'conformance', /undefined label/],
  ['lock or [%r10-8]', 'conformance', /Invalid number of operands for lock/],
  ['lock', 'conformance', /Invalid number of operands for lock/],
  ['ldxq %r0, %r1', 'conformance', /unknown mnemonic 'ldxq'/],
  ['ldxb %r0, %r1', 'conformance', /expected a memory operand/],
  ['ldxb %r0, [%r1+0x10000]', 'conformance', /out of range/],
  ['lddw %r0', 'conformance', /takes 2 operands/],
  ['or %r0, %r50', 'conformance', /invalid register '%r50'/],
];

for (const [text, syntax, message] of BAD_TEXT) {
  test(`bad ${syntax} text ${JSON.stringify(text)} is EINVAL with a clear message`, (t) => {
    const e = t.throws(() => assemble(text, { syntax }));
    t.true(isBpfError(e, 'EINVAL'));
    t.regex(e?.message ?? '', message);
  });
}

test('decoding refuses a partial slot and an ld_imm64 missing its second half', (t) => {
  const partial = t.throws(() => decodeProgram(new Uint8Array(12)));
  t.true(isBpfError(partial, 'EINVAL'));
  t.regex(partial?.message ?? '', /not a whole number of 8-byte instructions/);
  const half = t.throws(() => decodeHex('1800000000000000'));
  t.true(isBpfError(half, 'EINVAL'));
  t.regex(half?.message ?? '', /invalid bpf_ld_imm64 insn/);
  t.true(isBpfError(t.throws(() => encodeProgram([rawInsn(0x07, 16, 0, 0, 0)])), 'EINVAL'));
});

/** Instruction, the kernel's verifier message (checked on Linux 6.18). */
const KERNEL_CHECKS: readonly (readonly [Insn, string])[] = [
  [rawInsn(0x07, 0, 0, 1, 1), 'BPF_ALU uses reserved fields'],
  [rawInsn(0x0f, 0, 0, 0, 1), 'BPF_ALU uses reserved fields'],
  [rawInsn(0xb7, 0, 1, 0, 1), 'BPF_MOV uses reserved fields'],
  [rawInsn(0xbc, 0, 0, 32, 0), 'BPF_MOV uses reserved fields'],
  [rawInsn(0xbf, 0, 0, 1, 0), 'addr_space_cast insn can only convert between address space 1 and 0'],
  [rawInsn(0x84, 0, 0, 0, 1), 'BPF_NEG uses reserved fields'],
  [rawInsn(0xdc, 0, 1, 0, 16), 'BPF_END uses reserved fields'],
  [rawInsn(0x61, 0, 10, -4, 1), 'BPF_LDX uses reserved fields'],
  [rawInsn(0x01, 0, 0, 0, 0), 'BPF_LDX uses reserved fields'],
  [rawInsn(0x63, 10, 0, -4, 1), 'BPF_STX uses reserved fields'],
  [rawInsn(0x62, 10, 1, -4, 0), 'BPF_ST uses reserved fields'],
  [rawInsn(0x85, 1, 0, 0, 0), 'BPF_CALL uses reserved fields'],
  [rawInsn(0x95, 0, 0, 0, 1), 'BPF_EXIT uses reserved fields'],
  [rawInsn(0x05, 0, 0, 0, 1), 'BPF_JA uses reserved fields'],
  [rawInsn(0x06, 0, 0, 1, 0), 'BPF_JA uses reserved fields'],
  [rawInsn(0x15, 0, 1, 0, 0), 'BPF_JMP/JMP32 uses reserved fields'],
  [rawInsn(0xe5, 0, 0, 0, 1), 'invalid may_goto imm 1'],
  [rawInsn(0x20, 1, 0, 0, 0), 'BPF_LD_[ABS|IND] uses reserved fields'],
  [rawInsn(0xdb, 10, 0, -8, 0x99), 'BPF_ATOMIC uses invalid atomic opcode 99'],
  [rawInsn(0xd3, 10, 0, -8, 0), 'invalid atomic operand size'],
  [rawInsn(0x8d, 2, 0, 0, 0), 'unknown opcode 8d'],
  [rawInsn(0x0d, 0, 0, 0, 0), 'unknown opcode 0d'],
  [rawInsn(0x37, 0, 0, 0, 0), 'div by zero'],
  [rawInsn(0x67, 0, 0, 0, 64), 'invalid shift 64'],
  [rawInsn(0xb7, 11, 0, 0, 1), 'R11 is invalid'],
  [{ ...ldImm64(R0, 1), off: 1 }, 'BPF_LD_IMM64 uses reserved fields'],
  [{ ...ldImm64(R0, 1), second: { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 } }, 'invalid bpf_ld_imm64 insn'],
  [{ ...ldImm64(R0, 1), src: 7 }, 'unrecognized bpf_ld_imm64 insn'],
];

for (const [insn, message] of KERNEL_CHECKS) {
  test(`validate: ${formatInsn(insn)} → "${message}" (EINVAL)`, (t) => {
    const [first] = validate([insn, exit()]);
    t.is(first?.error.message, message);
    t.true(isBpfError(first?.error, 'EINVAL'));
    t.true(isBpfError(t.throws(() => {
      assertValid([insn, exit()]);
    }), 'EINVAL'));
  });
}

test('validate accepts the ISA v1-v4 forms, and exit with an offset (Linux does not check it)', (t) => {
  const ok = FORMS.map(([insn]) => insn).filter((i) => i.code !== 0x8d);
  t.deepEqual(validate(ok).map((d) => d.error.message), []);
  t.deepEqual(validate([rawInsn(0x95, 0, 0, 1, 0)]), []);
  t.deepEqual(validate([addrSpaceCast(R1, R2, 1, 0)]), []);
});

test('the resolve pass reports before the field checks, with slot numbers', (t) => {
  const d = validate([rawInsn(0x07, 0, 0, 1, 1), ldImm64(R1, 1), rawInsn(0x00, 0, 0, 0, 0), exit()]);
  t.deepEqual(d.map((x) => [x.stage, x.pc, x.error.message]), [
    ['resolve', 3, 'unknown opcode 00'],
    ['check', 0, 'BPF_ALU uses reserved fields'],
  ]);
});

test('call by helper name with or without the bpf_ prefix; unknown names are EINVAL', (t) => {
  t.deepEqual(call('bpf_map_lookup_elem'), call(1));
  t.true(isBpfError(t.throws(() => call('nope')), 'EINVAL'));
  t.deepEqual(assemble('call 1'), [call(1)]);
  t.deepEqual(assemble('call bpf_tail_call#12'), [call('tail_call')]);
  t.deepEqual(assemble('call bpf_obj_new_impl#54321'), [callKfunc(54321)]);
  t.deepEqual(atomic(W, BPF_AND, R1, R2, 0).imm, BPF_AND);
  t.is(atomic(DW, BPF_OR, R1, R2, 0).imm, BPF_OR);
});

test('the README example', (t) => {
  const prog = [ldxMem(W, R0, R1, 4), jmpImm(BPF_JGT, R0, 5, 1), call('bpf_ktime_get_ns'), mov64Imm(R0, 0), exit()];
  const bytes = encodeProgram(prog);
  t.is(disassemble(decodeProgram(bytes)), 'r0 = *(u32 *)(r1 +4)\nif r0 > 0x5 goto pc+1\ncall bpf_ktime_get_ns#5\nr0 = 0\nexit');
  t.true(disassemble(prog, { log: true }).startsWith('0: (61) r0 = *(u32 *)(r1 +4)\n1: (25) if r0 > 0x5 goto pc+1'));
  t.true(disassemble(prog, { syntax: 'conformance' }).startsWith('ldxw %r0, [%r1+4]\njgt %r0, 5, +1'));
  t.is(disassemble(assemble('  r0 = 0\nloop:\n  r0 += 1\n  if r0 < 10 goto loop\n  exit')), 'r0 = 0\nr0 += 1\nif r0 < 0xa goto pc-2\nexit');
  t.is(assemble('mov %r0, 1\njeq %r1, 0, exit\nmov %r0, 2\nexit', { syntax: 'conformance' })[1]?.off, 1);
  t.is(validate([{ code: 0x07, dst: 0, src: 0, off: 1, imm: 1 }, exit()])[0]?.error.message, 'BPF_ALU uses reserved fields');
});
