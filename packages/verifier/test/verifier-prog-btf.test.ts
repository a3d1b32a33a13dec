// bpf_check's checks of the program's BTF info (check_btf_info_early, check_btf_info) and of the
// attach target (check_attach_btf_id), in the kernel's order and with its errno and log. The
// func_info and sleepable cases were measured on Linux 6.18 (same messages, same stats line).
import test from 'ava';
import { BtfBuilder, parseBtf } from '@bpfkit/btf';
import { isBpfError, type BtfView, type VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { funcInfoBytes, userRecords } from '@bpfkit/verifier/testing';
import { root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const STATS = 'processed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n';
const SOCKET_FILTER = 1, TRACING = 26, STRUCT_OPS = 27, SYSCALL = 31, XDP = 6, KPROBE = 2;
const SLEEPABLE = 16;

function insn(code: number, dst = 0, src = 0, off = 0, imm = 0): number[] {
  const b = new DataView(new ArrayBuffer(8));
  b.setUint8(0, code); b.setUint8(1, (src << 4) | dst); b.setInt16(2, off, true); b.setInt32(4, imm, true);
  return [...new Uint8Array(b.buffer)];
}
const ret0 = [insn(0xb7), insn(0x95)];
/** main calls a subprogram at insn 3. */
const withSubprog = [insn(0x85, 0, 1, 0, 2), ...ret0, ...ret0];
/** `r0 = 0 ll; exit`: insn 1 is the second half of ld_imm64. */
const ldImm64 = [insn(0x18), insn(0), insn(0x95)];

/** BTF: [1] int, [2] int (void), [3] FUNC main, [4] FUNC sub; strings 'prog.c' and 'line'. */
function progBtf(): { btf: BtfView; file: number; line: number } {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
  const proto = b.add({ kind: 'FUNC_PROTO', name: '', type: int, params: [] });
  b.add({ kind: 'FUNC', name: 'main', type: proto, linkage: 0 });
  b.add({ kind: 'FUNC', name: 'sub', type: proto, linkage: 0 });
  // The type names double as line_info strings.
  b.add({ kind: 'STRUCT', name: 'prog.c', size: 0, kflag: false, members: [] });
  const btf = parseBtf(b.encode());
  const off = (s: string): number => {
    for (let o = 0; o < 256; o++) if (btf.str(o) === s) return o;
    return 0;
  };
  return { btf, file: off('prog.c'), line: off('main') };
}
const { btf, file, line } = progBtf();

const u32s = (words: readonly number[]): Uint8Array => {
  const out = new Uint8Array(words.length * 4);
  words.forEach((w, i) => { new DataView(out.buffer).setUint32(i * 4, w >>> 0, true); });
  return out;
};

interface Load { insns?: number[][]; progType?: number; funcInfo?: { bytes: Uint8Array; recSize: number; count?: number }; lineInfo?: { bytes: Uint8Array; recSize: number }; btfFd?: NonNullable<VerifierRequest['progBtf']>['btfFd']; extra?: Partial<VerifierRequest> }
function load(l: Load): { code: string; log: string; writtenRecSize: number | undefined } {
  const fi = userRecords(l.funcInfo?.bytes ?? new Uint8Array(0), l.funcInfo?.recSize ?? 8, l.funcInfo?.count);
  const li = userRecords(l.lineInfo?.bytes ?? new Uint8Array(0), l.lineInfo?.recSize ?? 16);
  const req: VerifierRequest = {
    progType: l.progType ?? SOCKET_FILTER, expectedAttachType: 0, insns: Uint8Array.from((l.insns ?? ret0).flat()), license: 'GPL', gplCompatible: true,
    progFlags: 0, logLevel: 1, logSize: 1 << 20, privileges: root,
    ...(l.funcInfo === undefined && l.lineInfo === undefined ? {} : { progBtf: { btfFd: l.btfFd ?? { btf, isKernel: false }, funcInfo: fi, lineInfo: li } }),
    ...l.extra,
  };
  try {
    return { code: 'ok', log: verifier.verify(req).log, writtenRecSize: fi.writtenRecSize ?? li.writtenRecSize };
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return { code: e.code, log: e.log ?? '', writtenRecSize: fi.writtenRecSize ?? li.writtenRecSize };
  }
}
const funcs = (recs: readonly [number, number][]): { bytes: Uint8Array; recSize: number } =>
  ({ bytes: funcInfoBytes(recs.map(([insnOff, typeId]) => ({ insnOff, typeId }))), recSize: 8 });

test('func_info: record size, tail, order and FUNC types, before the subprograms are looked at (check_btf_func_early)', (t) => {
  t.is(load({ funcInfo: funcs([[0, 3]]) }).code, 'ok');
  t.like(load({ funcInfo: { bytes: u32s([0, 3]), recSize: 4, count: 1 } }), { code: 'EINVAL', log: `invalid func info rec size 4\n${STATS}` });
  t.like(load({ funcInfo: { bytes: u32s([0, 3]), recSize: 10, count: 1 } }), { code: 'EINVAL', log: `invalid func info rec size 10\n${STATS}` });
  t.like(load({ funcInfo: { bytes: u32s([0, 3, 0]), recSize: 12 } }), { code: 'ok', writtenRecSize: undefined });
  // The kernel's message has no newline: the stats line goes on after it; the size it knows is written back.
  t.like(load({ funcInfo: { bytes: u32s([0, 3, 1]), recSize: 12 } }), { code: 'E2BIG', log: `nonzero tailing record in func info${STATS}`, writtenRecSize: 8 });
  t.like(load({ funcInfo: funcs([[1, 3]]) }), { code: 'EINVAL', log: `nonzero insn_off 1 for the first func info record${STATS}` });
  t.like(load({ insns: withSubprog, funcInfo: funcs([[0, 3], [0, 4]]) }), { code: 'EINVAL', log: `same or smaller insn offset (0) than previous func info record (0)${STATS}` });
  t.like(load({ funcInfo: funcs([[0, 999]]) }), { code: 'EINVAL', log: `invalid type id 999 in func info${STATS}` });
  t.like(load({ funcInfo: funcs([[0, 1]]) }), { code: 'EINVAL', log: `invalid type id 1 in func info${STATS}` });
  // Records past readable memory: EFAULT, nothing logged but the stats.
  t.like(load({ funcInfo: { bytes: funcInfoBytes([{ insnOff: 0, typeId: 3 }]), recSize: 8, count: 2 } }), { code: 'EFAULT', log: STATS });
  // Before the subprograms: a call out of the program is not reached when func_info is bad.
  t.like(load({ insns: [insn(0x85, 0, 1, 0, 9), ...ret0], funcInfo: funcs([[0, 999]]) }), { code: 'EINVAL', log: `invalid type id 999 in func info${STATS}` });
});

test('prog_btf_fd: the lookup\'s errno, EACCES for the kernel\'s own BTF, each with the stats line', (t) => {
  t.like(load({ funcInfo: funcs([[0, 3]]), btfFd: { errno: 'EBADF' } }), { code: 'EBADF', log: STATS });
  t.like(load({ funcInfo: funcs([[0, 3]]), btfFd: { errno: 'EINVAL' } }), { code: 'EINVAL', log: STATS });
  t.like(load({ funcInfo: funcs([[0, 3]]), btfFd: { btf, isKernel: true } }), { code: 'EACCES', log: STATS });
  t.like(load({ lineInfo: { bytes: u32s([0, file, line, 0]), recSize: 16 }, btfFd: { errno: 'EBADF' } }), { code: 'EBADF', log: STATS });
});

test('func_info against the subprograms (check_btf_func), after add_subprog_and_kfunc and check_subprogs', (t) => {
  t.is(load({ insns: withSubprog, funcInfo: funcs([[0, 3], [3, 4]]) }).code, 'ok');
  t.like(load({ funcInfo: funcs([[0, 3], [1, 4]]) }), { code: 'EINVAL', log: `number of funcs in func_info doesn't match number of subprogs\n${STATS}` });
  t.like(load({ insns: withSubprog, funcInfo: funcs([[0, 3]]) }), { code: 'EINVAL', log: `number of funcs in func_info doesn't match number of subprogs\n${STATS}` });
  t.like(load({ insns: withSubprog, funcInfo: funcs([[0, 3], [2, 4]]) }), { code: 'EINVAL', log: `func_info BTF section doesn't match subprog layout in BPF program\n${STATS}` });
  // A call out of the program is add_subprog_and_kfunc's error, before the count is compared.
  t.like(load({ insns: [insn(0x85, 0, 1, 0, 9), ...ret0], funcInfo: funcs([[0, 3], [1, 4]]) }), { code: 'EINVAL', log: `call to invalid destination\n${STATS}` });
});

test('line_info: rec size and count silently, then offsets, instructions, strings and one per subprogram (check_btf_line)', (t) => {
  const lines = (recs: readonly number[][], recSize = 16): { bytes: Uint8Array; recSize: number } => ({ bytes: u32s(recs.flat()), recSize });
  t.is(load({ lineInfo: lines([[0, file, line, 0]]) }).code, 'ok');
  t.is(load({ lineInfo: lines([[0, file, line, 0], [1, file, line, 0]]) }).code, 'ok');
  t.like(load({ lineInfo: lines([[0, file]], 8) }), { code: 'EINVAL', log: STATS });
  t.like(load({ lineInfo: lines([[0, file, line, 0, 7]], 20) }), { code: 'E2BIG', log: `nonzero tailing record in line_info${STATS}`, writtenRecSize: 16 });
  t.like(load({ lineInfo: lines([[0, file, line, 0], [2, file, line, 0]]) }), { code: 'EINVAL', log: `Invalid line_info[1].insn_off:2 (prev_offset:0 prog->len:2)\n${STATS}` });
  t.like(load({ lineInfo: lines([[0, file, line, 0], [0, file, line, 0]]) }), { code: 'EINVAL', log: `Invalid line_info[1].insn_off:0 (prev_offset:0 prog->len:2)\n${STATS}` });
  t.like(load({ lineInfo: lines([[1, file, line, 0]]) }), { code: 'EINVAL', log: `missing bpf_line_info for func#0\n${STATS}` });
  t.like(load({ lineInfo: lines([[0, 99999, line, 0]]) }), { code: 'EINVAL', log: `Invalid line_info[0].line_off or .file_name_off\n${STATS}` });
  t.like(load({ insns: ldImm64, lineInfo: lines([[0, file, line, 0], [1, file, line, 0]]) }), { code: 'EINVAL', log: `Invalid insn code at line_info[1].insn_off\n${STATS}` });
  t.like(load({ insns: withSubprog, lineInfo: lines([[0, file, line, 0]]) }), { code: 'EINVAL', log: `missing bpf_line_info for 1 funcs starting from func#1\n${STATS}` });
  t.is(load({ insns: withSubprog, lineInfo: lines([[0, file, line, 0], [3, file, line, 0]]) }).code, 'ok');
});

test('without func_info no subprogram but the main one may use LD_ABS or a tail call (check_abnormal_return)', (t) => {
  const ldAbsInSub = [insn(0xbf, 6, 1), insn(0x85, 0, 1, 0, 1), insn(0x95), insn(0xbf, 6, 1), insn(0x20), insn(0x95)];
  t.like(load({ insns: ldAbsInSub }), { code: 'EINVAL', log: `LD_ABS is not allowed in subprogs without BTF\n${STATS}` });
  const tailCallInSub = [insn(0x85, 0, 1, 0, 1), insn(0x95), insn(0x85, 0, 0, 0, 12), insn(0x95)];
  t.like(load({ insns: tailCallInSub }), { code: 'EINVAL', log: `tail_call is not allowed in subprogs without BTF\n${STATS}` });
});

/** Kernel BTF: struct ops_x { int (*a)(void); int b; void (*c)(void); }, a tracing FUNC and a btf_trace_ typedef. */
function kernelBtf(): { btf: BtfView; ops: number; fn: number; tp: number } {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
  const intFn = b.add({ kind: 'FUNC_PROTO', name: '', type: int, params: [] });
  const voidFn = b.add({ kind: 'FUNC_PROTO', name: '', type: 0, params: [] });
  const ops = b.add({
    kind: 'STRUCT', name: 'ops_x', size: 24, kflag: false, members: [
      { name: 'a', type: b.add({ kind: 'PTR', name: '', type: intFn }), bitsOffset: 0, bitfieldSize: 0 },
      { name: 'b', type: int, bitsOffset: 64, bitfieldSize: 0 },
      { name: 'c', type: b.add({ kind: 'PTR', name: '', type: voidFn }), bitsOffset: 128, bitfieldSize: 0 },
    ],
  });
  const fn = b.add({ kind: 'FUNC', name: 'some_kernel_func', type: intFn, linkage: 1 });
  const tp = b.add({ kind: 'TYPEDEF', name: 'btf_trace_some_event', kflag: false, type: b.add({ kind: 'PTR', name: '', type: voidFn }) });
  return { btf: parseBtf(b.encode()), ops, fn, tp };
}
const kernel = kernelBtf();

test('struct_ops: license, attach_btf_id, a registered struct, a function-pointer member the subsystem takes (check_struct_ops_btf_id)', (t) => {
  const structOps = { name: 'ops_x', unsupportedMembers: ['c'] };
  const attach = (btfId: number, withOps = true): Partial<VerifierRequest> => ({ attach: { btfId, btf: kernel.btf, ...(withOps ? { structOps } : {}) } });
  const so = (member: number, extra: Partial<VerifierRequest>): { code: string; log: string } => load({ progType: STRUCT_OPS, extra: { expectedAttachType: member, ...extra } });
  t.is(so(0, attach(kernel.ops)).code, 'ok');
  t.like(so(0, { ...attach(kernel.ops), gplCompatible: false }), { code: 'EINVAL', log: `struct ops programs must have a GPL compatible license\n${STATS}` });
  t.like(so(0, attach(0)), { code: 'ENOTSUPP', log: STATS });
  t.like(so(0, attach(kernel.fn, false)), { code: 'ENOTSUPP', log: `attach_btf_id ${String(kernel.fn)} is not a supported struct\n${STATS}` });
  t.like(so(3, attach(kernel.ops)), { code: 'EINVAL', log: `attach to invalid member idx 3 of struct ops_x\n${STATS}` });
  t.like(so(1, attach(kernel.ops)), { code: 'EINVAL', log: `attach to invalid member b(@idx 1) of struct ops_x\n${STATS}` });
  t.like(so(2, attach(kernel.ops)), { code: 'ENOTSUPP', log: `attach to unsupported member c of struct ops_x\n${STATS}` });
  // The subsystem's check_member: here only 'a' refuses sleepable programs.
  const picky = { attach: { btfId: kernel.ops, btf: kernel.btf, structOps: { name: 'ops_x', unsupportedMembers: [], checkMember: (m: string, sleepable: boolean) => (m === 'a' && sleepable ? 'EINVAL' as const : undefined) } } };
  t.is(so(0, picky).code, 'ok');
  t.like(so(0, { ...picky, progFlags: SLEEPABLE }), { code: 'EINVAL', log: `attach to unsupported member a of struct ops_x\n${STATS}` });
  t.is(so(2, { ...picky, progFlags: SLEEPABLE }).code, 'ok');
});

test('check_attach_btf_id runs after check_cfg: an unreachable instruction is reported first', (t) => {
  const unreachable = [...ret0, ...ret0];
  t.like(load({ insns: unreachable, progType: STRUCT_OPS, extra: { attach: { btfId: 0 } } }), { code: 'EINVAL', log: `unreachable insn 2\n${STATS}` });
  t.like(load({ insns: unreachable, progType: SYSCALL }), { code: 'EINVAL', log: `unreachable insn 2\n${STATS}` });
});

test('sleepable programs: syscall programs must be, only some types may be (as 6.18)', (t) => {
  t.like(load({ progType: SYSCALL }), { code: 'EINVAL', log: `Syscall programs can only be sleepable\n${STATS}` });
  t.is(load({ progType: SYSCALL, extra: { progFlags: SLEEPABLE } }).code, 'ok');
  t.like(load({ progType: XDP, extra: { progFlags: SLEEPABLE } }), { code: 'EINVAL', log: `Only fentry/fexit/fmod_ret, lsm, iter, uprobe, and struct_ops programs can be sleepable\n${STATS}` });
  t.is(load({ progType: KPROBE, extra: { progFlags: SLEEPABLE } }).code, 'ok');
});

test('tracing targets: an id, a name, the kind the attach type needs (bpf_check_attach_target)', (t) => {
  const fentry = (btfId: number, extra: Partial<VerifierRequest> = {}): { code: string; log: string } =>
    load({ progType: TRACING, extra: { expectedAttachType: 24, attach: { btfId, btf: kernel.btf }, ...extra } });
  t.is(fentry(kernel.fn).code, 'ok');
  t.like(fentry(0), { code: 'EINVAL', log: `Tracing programs must provide btf_id\n${STATS}` });
  t.like(fentry(999), { code: 'EINVAL', log: `attach_btf_id 999 is invalid\n${STATS}` });
  t.like(fentry(kernel.ops), { code: 'EINVAL', log: `attach_btf_id ${String(kernel.ops)} is not a function\n${STATS}` });
  t.like(fentry(2), { code: 'EINVAL', log: `attach_btf_id 2 doesn't have a name\n${STATS}` });
  // A target in another program is not checked against kernel BTF.
  t.is(fentry(7, { attach: { btfId: 7, dstProg: true } }).code, 'ok');
  const rawTp = (btfId: number): { code: string; log: string } => load({ progType: TRACING, extra: { expectedAttachType: 23, attach: { btfId, btf: kernel.btf } } });
  t.is(rawTp(kernel.tp).code, 'ok');
  t.like(rawTp(kernel.fn), { code: 'EINVAL', log: `attach_btf_id ${String(kernel.fn)} is not a typedef\n${STATS}` });
});
