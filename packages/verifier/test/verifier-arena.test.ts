// BPF arena in the verifier (Linux 6.18 kernel/bpf/verifier.c): an ARENA map's use by a program
// (__add_used_map), addr_space_cast (check_alu_op), PTR_TO_ARENA loads, stores and arithmetic, and the
// rewrites the kernel makes after the walk (convert_ctx_accesses / do_misc_fixups). This machine's kernel
// refuses ARENA maps (EPERM, machine policy), so the expected messages and errnos are the kernel source's
// and the verifier corpus's (progs/verifier_arena*.json, recorded on 6.18).
import test from 'ava';
import {
  addrSpaceCast, alu64Imm, alu64Reg, B, BPF_ADD, DW, encodeProgram, exit, ldMapValue, ldxMem, ldxMemsx, mov64Imm, mov64Reg, stMem, stxMem, W,
  type Insn,
} from '@bpfkit/asm';
import { BtfBuilder, parseBtf } from '@bpfkit/btf';
import type { VerifierMap, VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { progBtfWith } from '@bpfkit/verifier/testing';
import { outcomeOf, root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const ARENA = 33, ARRAY = 2, MMAPABLE = 1 << 10, NO_USER_CONV = 1 << 18;
const START = 0x1001_0000_0000n;

function arena(fd: number, over: Partial<VerifierMap> = {}): VerifierMap {
  return { fd, mapType: ARENA, keySize: 0, valueSize: 0, maxEntries: 2, mapFlags: MMAPABLE, isMapInMap: false, name: 'arena',
    userVmStart: START, userVmEnd: START + 2n * 4096n, ...over };
}
const array: VerifierMap = { fd: 5, mapType: ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, mapFlags: 0, isMapInMap: false, name: 'a' };

function req(insns: readonly Insn[], maps: readonly VerifierMap[], over: Partial<VerifierRequest> = {}): VerifierRequest {
  return { progType: 1, expectedAttachType: 0, insns: encodeProgram(insns), license: 'GPL', gplCompatible: true, progFlags: 0, logLevel: 2,
    logSize: 1 << 20, privileges: root, maps: new Map(maps.map((m) => [m.fd, m])), ...over };
}

const outcome = (r: VerifierRequest): string => {
  const o = outcomeOf(verifier, r);
  return o.code === 'ok' ? 'ok' : `${o.code} ${o.line}`;
};

/** `r1 = &arena[off]; r1 = cast_kern(r1)`, then `body`, then `r0 = 0; exit`. */
const withArenaPtr = (body: readonly Insn[], fd = 3, off = 0): Insn[] =>
  [ldMapValue(1, fd, off), addrSpaceCast(1, 1, 0, 1), ...body, mov64Imm(0, 0), exit()];

test('addr_space_cast needs an arena in the program, and only converts between address spaces 1 and 0', (t) => {
  t.is(outcome(req([mov64Imm(1, 0), addrSpaceCast(2, 1, 0, 1), mov64Imm(0, 0), exit()], [])),
    'EINVAL addr_space_cast insn can only be used in a program that has an associated arena');
  t.is(outcome(req([ldMapValue(1, 3, 0), addrSpaceCast(1, 1, 0, 2), mov64Imm(0, 0), exit()], [arena(3)])),
    'EINVAL addr_space_cast insn can only convert between address space 1 and 0');
  // A MOV with another off is still "reserved fields".
  t.is(outcome(req([mov64Imm(1, 0), { code: 0xbf, dst: 2, src: 1, off: 2, imm: 0 }, mov64Imm(0, 0), exit()], [])),
    'EINVAL BPF_MOV uses reserved fields');
});

test('an arena is usable once its user address is set, by CAP_BPF + CAP_PERFMON loaders, one per program', (t) => {
  t.is(outcome(req(withArenaPtr([]), [arena(3, { userVmStart: 0n, userVmEnd: 0n })])),
    "EINVAL arena's user address must be set via map_extra or mmap()");
  t.is(outcome(req([ldMapValue(1, 3, 0), ldMapValue(2, 4, 0), mov64Imm(0, 0), exit()], [arena(3), arena(4)])), 'EBUSY Only one arena per program');
  t.is(outcome(req(withArenaPtr([]), [arena(3)], { privileges: { ...root, allowPtrLeaks: false, perfmonCapable: false } })),
    'EPERM CAP_BPF and CAP_PERFMON are required to use arena');
  t.is(outcome(req(withArenaPtr([]), [arena(3)])), 'ok');
  // arena_map_direct_value_addr: an offset past the user range is ERANGE.
  t.is(outcome(req(withArenaPtr([], 3, 2 * 4096 + 1), [arena(3)])), 'ERANGE invalid access to map value pointer, value_size=0 off=8193');
});

test('cast_kern gives PTR_TO_ARENA (logged as "arena"); loads give scalars, stores and any arithmetic are allowed', (t) => {
  const insns = withArenaPtr([
    ldxMem(W, 2, 1, 0), stxMem(DW, 1, 2, 8), stMem(B, 1, -7, 1),
    alu64Imm(BPF_ADD, 1, 4096), alu64Reg(BPF_ADD, 1, 2), ldxMem(DW, 3, 1, 0x7ff0),
    mov64Reg(4, 1), addrSpaceCast(5, 4, 1, 0),
  ]);
  const res = verifier.verify(req(insns, [arena(3)]));
  t.regex(res.log, /2: \(bf\) r1 = addr_space_cast\(r1, 0, 1\)\s+; R1=arena\n/);
  t.regex(res.log, /3: \(61\) r2 = \*\(u32 \*\)\(r1 \+0\)\s+; R1=arena R2=scalar\(smin=0,smax=umax=0xffffffff,var_off=\(0x0; 0xffffffff\)\)/);
  t.regex(res.log, /7: \(0f\) r1 \+= r2\s+; R1=arena/);
  // cast_user gives a plain value.
  t.regex(res.log, /10: \(bf\) r5 = addr_space_cast\(r4, 1, 0\)\s+; R4=arena R5=scalar\(\)\n/);
});

test('after the walk: arena accesses become BPF_PROBE_MEM32, cast_kern a 32-bit mov, 64-bit ALU on arena pointers 32-bit', (t) => {
  const insns = withArenaPtr([ldxMem(W, 2, 1, 0), stMem(DW, 1, 8, 5), alu64Imm(BPF_ADD, 1, 8), addrSpaceCast(4, 1, 1, 0)]);
  const res = verifier.verify(req(insns, [arena(3)]));
  t.deepEqual(res.rewrites, [
    { index: 2, code: 0xbc, off: 0, imm: 0 },
    { index: 3, code: 0xa1, off: 0, imm: 0 },
    { index: 4, code: 0xba, off: 8, imm: 5 },
    { index: 5, code: 0x04, off: 0, imm: 8 },
  ]);
  // With BPF_F_NO_USER_CONV cast_user is a 32-bit mov as well.
  const noConv = verifier.verify(req(insns, [arena(3, { mapFlags: MMAPABLE | NO_USER_CONV })]));
  t.deepEqual(noConv.rewrites?.at(-1), { index: 6, code: 0xbc, off: 0, imm: 0 });
  // A program without an arena has nothing to rewrite.
  t.is(verifier.verify(req([ldMapValue(1, 5, 0), ldxMem(W, 2, 1, 0), mov64Imm(0, 0), exit()], [array])).rewrites, undefined);
});

test('a sign-extending load from an arena is refused after the walk (EOPNOTSUPP)', (t) => {
  t.is(outcome(req(withArenaPtr([ldxMemsx(W, 2, 1, 0)]), [arena(3)])), 'EOPNOTSUPP sign extending loads from arena are not supported yet');
});

/** `int prog(struct __sk_buff *skb)` at 0 and the global `int g(void *p)` at `gStart`, its argument tagged `tags`. */
function withGlobal(insns: readonly Insn[], gStart: number, tags: readonly string[]): VerifierRequest {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
  const skb = b.add({ kind: 'STRUCT', name: '__sk_buff', size: 4, kflag: false, members: [{ name: 'len', type: int, bitsOffset: 0, bitfieldSize: 0 }] });
  const skbPtr = b.add({ kind: 'PTR', name: '', type: skb });
  const voidPtr = b.add({ kind: 'PTR', name: '', type: 0 });
  const funcInfo = [['prog', 0, skbPtr], ['g', gStart, voidPtr]].map(([name, start, param]) => {
    const proto = b.add({ kind: 'FUNC_PROTO', name: '', type: int, params: [{ name: 'a0', type: Number(param) }] });
    const fn = b.add({ kind: 'FUNC', name: String(name), type: proto, linkage: 1 });
    if (name === 'g') for (const tag of tags) b.add({ kind: 'DECL_TAG', name: tag, type: fn, componentIdx: 0, kflag: false });
    return { insnOff: Number(start), typeId: fn };
  });
  return { ...req(insns, []), progBtf: progBtfWith(parseBtf(b.encode()), funcInfo) };
}

/** main: r1 = `arg`; call g; exit — g: r0 = *(u32 *)(r1 +0); exit. */
const callG = (arg: Insn): Insn[] => [arg, { code: 0x85, dst: 0, src: 1, off: 0, imm: 1 }, exit(), ldxMem(W, 0, 1, 0), exit()];

test('a global function argument tagged arg:arena is an arena pointer inside, and takes an arena pointer or a scalar', (t) => {
  const ok = verifier.verify(withGlobal(callG(mov64Imm(1, 0)), 3, ['arg:arena']));
  t.regex(ok.log, /\n3: R1=arena R10=fp0\n/);
  t.regex(ok.log, /3: \(61\) r0 = \*\(u32 \*\)\(r1 \+0\)\s+; R0=scalar\(smin=0,smax=umax=0xffffffff,var_off=\(0x0; 0xffffffff\)\) R1=arena\n/);
  const logOf = (r: VerifierRequest): string => {
    try {
      verifier.verify(r);
      return 'accepted';
    } catch (e) {
      return (e as { code: string; log: string }).code + ' ' + (e as { log: string }).log;
    }
  };
  t.regex(logOf(withGlobal(callG(mov64Reg(1, 1)), 3, ['arg:arena'])),
    /^EINVAL [^]*\nR1 is not a pointer to arena or scalar\.\nCaller passes invalid args into func#1 \('g'\)\n/);
  t.regex(logOf(withGlobal(callG(mov64Imm(1, 0)), 3, ['arg:arena', 'arg:nonnull'])),
    /^EINVAL [^]*\narg#0 arena cannot be combined with any other tags\nCaller passes invalid args into func#1 \('g'\)\n/);
});

test('an instruction that reaches memory through an arena pointer on one path may not use another pointer on another', (t) => {
  // r2 = 0 ? fp-8 : arena pointer; then one store through r2.
  const insns = [
    ldMapValue(1, 3, 0), addrSpaceCast(1, 1, 0, 1), ldxMem(W, 0, 1, 0), mov64Reg(2, 10), alu64Imm(BPF_ADD, 2, -8),
    { code: 0x15, dst: 0, src: 0, off: 1, imm: 0 } satisfies Insn, mov64Reg(2, 1), stMem(DW, 2, 0, 0), mov64Imm(0, 0), exit(),
  ];
  t.is(outcome(req(insns, [arena(3)])), 'EINVAL same insn cannot be used with different pointers');
});
