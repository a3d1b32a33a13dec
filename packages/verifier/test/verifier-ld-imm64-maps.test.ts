// resolve_pseudo_ldimm64: the maps a program names are checked before any instruction is walked
// (processed 0), in the kernel's order: load reserved fields, ld_imm64 form, the map, its use by
// this program type (check_map_prog_compatibility), the direct value offset, unknown opcodes.
// Expected answers are Linux 6.18's, for the same maps (test_verifier's spin lock and timer maps)
// and `r1 = map; r0 = 0; exit` loaded with each program type.
import test from 'ava';
import type { VerifierMap, VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { isBpfError } from '@bpfkit/kernel-api';
import { outcomeOf, root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const ARRAY = 2, STRUCT_OPS = 26;

const spinLock: VerifierMap = { fd: 3, mapType: ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, mapFlags: 0, isMapInMap: false, name: 'test_map',
  hasBtf: true, valueFields: [{ kind: 'bpf_spin_lock', offset: 4, size: 4 }] };
const timer: VerifierMap = { fd: 4, mapType: ARRAY, keySize: 4, valueSize: 16, maxEntries: 1, mapFlags: 0, isMapInMap: false, name: 'test_map',
  hasBtf: true, valueFields: [{ kind: 'bpf_timer', offset: 0, size: 16 }] };
const structOps: VerifierMap = { fd: 5, mapType: STRUCT_OPS, keySize: 4, valueSize: 64, maxEntries: 1, mapFlags: 0, isMapInMap: false, name: 'ops' };
const maps = new Map([[3, spinLock], [4, timer], [5, structOps]]);

/** `r1 = map[fd]; r0 = 0; exit`. */
function loadMapProg(fd: number): Uint8Array {
  const insns = new Uint8Array(32);
  insns[0] = 0x18;
  insns[1] = 0x11;
  new DataView(insns.buffer).setInt32(4, fd, true);
  insns[16] = 0xb7;
  insns[24] = 0x95;
  return insns;
}

function req(progType: number, insns: Uint8Array, over: Partial<VerifierRequest> = {}): VerifierRequest {
  return { progType, expectedAttachType: 0, insns, license: 'GPL', gplCompatible: true, progFlags: 0, logLevel: 1, logSize: 1 << 20,
    privileges: root, maps, ...over };
}

const outcome = (r: VerifierRequest): string => {
  const o = outcomeOf(verifier, r);
  return o.code === 'ok' ? 'ok' : `${o.code} ${o.line}`;
};

test('a spin lock map: socket filters and tracing programs may not use it; tc and xdp may (6.18)', (t) => {
  t.is(outcome(req(1, loadMapProg(3))), 'EINVAL socket filter progs cannot use bpf_spin_lock yet');
  for (const type of [2, 5, 17]) t.is(outcome(req(type, loadMapProg(3))), 'EINVAL tracing progs cannot use bpf_spin_lock yet', `prog type ${type}`);
  for (const type of [3, 6, 8, 9]) t.is(outcome(req(type, loadMapProg(3))), 'ok', `prog type ${type}`);
});

test('a timer map: tracing programs may not use it; socket filters may (6.18)', (t) => {
  for (const type of [2, 5, 17]) t.is(outcome(req(type, loadMapProg(4))), 'EINVAL tracing progs cannot use bpf_timer yet', `prog type ${type}`);
  for (const type of [1, 3, 6, 8, 9]) t.is(outcome(req(type, loadMapProg(4))), 'ok', `prog type ${type}`);
});

test('a struct_ops map cannot be used by a program', (t) => {
  t.is(outcome(req(3, loadMapProg(5))), 'EINVAL bpf_struct_ops map cannot be used in prog');
});

test('map errors come before any instruction is processed: the log holds the error alone', (t) => {
  try {
    verifier.verify(req(2, loadMapProg(3)));
    t.fail('accepted');
  } catch (e) {
    if (!isBpfError(e)) throw e;
    t.regex(e.log ?? '', /^tracing progs cannot use bpf_spin_lock yet\nprocessed 0 insns/);
  }
});

test('the kernel order of the early passes: last insn, then reserved load fields, then the opcode table', (t) => {
  const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
  // A single unknown instruction: check_subprogs speaks first.
  t.is(outcome(req(1, hex('0000000000000000'))), 'EINVAL last insn is not an exit or jmp');
  // An LDX with a bad mode (class 1, code 0x01) is a reserved-fields error, not an unknown opcode.
  t.is(outcome(req(1, hex('01000000000000009500000000000000'))), 'EINVAL BPF_LDX uses reserved fields');
  t.is(outcome(req(1, hex('ff000000000000009500000000000000'))), 'EINVAL unknown opcode ff');
  // A jump into the second half of an ld_imm64 is the CFG's error, after the ld_imm64 forms passed.
  t.is(outcome(req(1, hex('15010100000000001800000000000000000000000000000095000000000000009500000000000000'))),
    'EINVAL jump into the middle of ldimm64 insn 1');
});

test('a pseudo map fd that is open but not a map is EINVAL; one that is not open is EBADF', (t) => {
  t.is(outcome(req(1, loadMapProg(7), { nonMapFds: new Set([7]) })), 'EINVAL fd 7 is not pointing to valid bpf_map');
  t.is(outcome(req(1, loadMapProg(9), { nonMapFds: new Set([7]) })), 'EBADF fd 9 is not pointing to valid bpf_map');
});

test('BPF_PSEUDO_MAP_IDX names a map by its index in fd_array: EPROTO without one, EFAULT where it cannot be read (6.18)', (t) => {
  const byIndex = (index: number): Uint8Array => {
    const insns = loadMapProg(index);
    insns[1] = 0x51;
    return insns;
  };
  t.is(outcome(req(6, byIndex(1), { fdArray: (i) => [9, 3][i] })), 'ok');
  t.is(outcome(req(6, byIndex(0))), 'EPROTO fd_idx without fd_array is invalid');
  t.is(outcomeOf(verifier, req(6, byIndex(7), { fdArray: (i) => [3][i] })).code, 'EFAULT');
  t.is(outcome(req(6, byIndex(0), { fdArray: () => 9 })), 'EBADF fd 9 is not pointing to valid bpf_map');
});

test('BPF_PSEUDO_BTF_ID (a ksym) names a kernel function or variable kallsyms lists, as 6.18 checks it', async (t) => {
  const { BtfBuilder, parseBtf } = await import('@bpfkit/btf');
  const b = new BtfBuilder();
  const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
  const proto = b.add({ kind: 'FUNC_PROTO', name: '', type: int, params: [] });
  const func = b.add({ kind: 'FUNC', name: 'do_work', type: proto, linkage: 1 });
  const counter = b.add({ kind: 'VAR', name: 'work_count', type: int, linkage: 1 });
  const hidden = b.add({ kind: 'VAR', name: 'hidden_count', type: int, linkage: 1 });
  const vmlinux = parseBtf(b.encode());
  const symbols = new Map([['do_work', 0xffffffff81000040n], ['work_count', 0xffffffff82000000n]]);
  const ksym = (id: number, btfFd = 0, extra: Uint8Array = new Uint8Array(0)): VerifierRequest => {
    const insns = new Uint8Array(32 + extra.length);
    insns.set([0x18, 0x31], 0);
    new DataView(insns.buffer).setInt32(4, id, true);
    new DataView(insns.buffer).setInt32(12, btfFd, true);
    insns.set(extra, 16);
    insns.set([0xb7], 16 + extra.length);
    insns.set([0x95], 24 + extra.length);
    return req(6, insns, { vmlinuxBtf: () => vmlinux, kernelSymbol: (name) => symbols.get(name) });
  };
  // A function's address is read-only memory of size 0: it can be held, not read.
  t.is(outcome(ksym(func)), 'ok');
  t.is(outcome(ksym(func, 0, Uint8Array.from([0x71, 0x10, 0, 0, 0, 0, 0, 0]))), 'EACCES R1 min value is outside of the allowed memory range');
  // A variable of a scalar type is read-only memory of its size.
  t.is(outcome(ksym(counter, 0, Uint8Array.from([0x61, 0x10, 0, 0, 0, 0, 0, 0]))), 'ok');
  t.is(outcome(ksym(counter, 0, Uint8Array.from([0x62, 0x01, 0, 0, 1, 0, 0, 0]))), 'EACCES R1 cannot write into rdonly_mem');
  t.is(outcome(ksym(hidden)), "ENOENT ldimm64 failed to find the address for kernel symbol 'hidden_count'.");
  t.is(outcome(ksym(int)), `EINVAL pseudo btf_id ${String(int)} in ldimm64 isn't KIND_VAR or KIND_FUNC`);
  t.is(outcome(ksym(99)), 'ENOENT ldimm64 insn specifies invalid btf_id 99.');
  t.is(outcome(ksym(func, 5)), 'EINVAL invalid module BTF object FD specified.');
  t.is(outcome(req(6, ksym(func).insns)), 'EINVAL kernel is missing BTF, make sure CONFIG_DEBUG_INFO_BTF=y is specified in Kconfig.');
});

test('fd_array_cnt binds the array\'s maps first: anything but a map or BTF is refused, as 6.18 does', (t) => {
  const ret = new Uint8Array(16);
  ret.set([0xb7], 0);
  ret.set([0x95], 8);
  const withArray = (fds: readonly number[], cnt: number, over: Partial<VerifierRequest> = {}): string =>
    outcome(req(6, ret, { fdArray: (i) => fds[i], fdArrayCnt: cnt, ...over }));
  t.is(withArray([3, 4], 2), 'ok');
  t.is(withArray([3, 9], 2, { btfFds: new Set([9]) }), 'ok');
  t.is(withArray([3, 9], 2), 'EBADF fd 9 is not pointing to valid bpf_map or btf');
  t.is(withArray([9], 1, { nonMapFds: new Set([9]) }), 'EINVAL fd 9 is not pointing to valid bpf_map or btf');
  t.is(withArray([3], 2 ** 30), 'EINVAL fd_array_cnt is too big (1073741824)');
  t.is(outcomeOf(verifier, req(6, ret, { fdArrayCnt: 1 })).code, 'EFAULT');
  // A struct_ops map cannot be used by a program, bound or not.
  t.is(withArray([5], 1), 'EINVAL bpf_struct_ops map cannot be used in prog');
});
