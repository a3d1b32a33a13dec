import { hostVmlinuxBtf } from '@bpfkit/kernel/defaults';
import {
  BPF_F_NO_PREALLOC,
  BPF_F_RDONLY_PROG,
  BpfAttachType as A,
  BpfCmd,
  BpfMapType as M,
  BpfProgType as P,
  encodeMapCreateAttr,
  encodeProgLoadAttr,
  type MapCreateAttr,
  type ProgLoadAttr,
} from '@bpfkit/uapi';
import { GPL, RETURN_ZERO, exit, insn, movImm, program } from './bpf-bytes.js';
import { encodeBtfBlob, type BtfSpec } from './btf-blob.js';
import { vmlinuxBtfFd, type CaseEnv, type DiffCase } from './differential.js';
import { btfCase } from './cases.js';

/** Types for map values; ids in comments. */
const MAP_TYPES: readonly BtfSpec[] = [
  { kind: 'INT', name: 'int', size: 4 }, // 1
  { kind: 'STRUCT', name: 'bpf_spin_lock', size: 4, members: [['val', 1, 0]] }, // 2
  { kind: 'STRUCT', name: 'val_lock', size: 8, members: [['a', 1, 0], ['l', 2, 32]] }, // 3
  { kind: 'STRUCT', name: 'bpf_timer', size: 16, members: [['a', 5, 0], ['b', 5, 64]] }, // 4
  { kind: 'INT', name: 'u64', size: 8, signed: false }, // 5
  { kind: 'STRUCT', name: 'val_timer', size: 16, members: [['t', 4, 0]] }, // 6
  { kind: 'STRUCT', name: 'plain', size: 8, members: [['a', 1, 0], ['b', 1, 32]] }, // 7
  { kind: 'INT', name: 'unsigned int', size: 4, signed: false }, // 8
  { kind: 'STRUCT', name: 'bpf_wq', size: 16, members: [['a', 5, 0], ['b', 5, 64]] }, // 9
  { kind: 'STRUCT', name: 'val_wq', size: 16, members: [['w', 9, 0]] }, // 10
  { kind: 'STRUCT', name: 'node_t', size: 4, members: [['v', 1, 0]] }, // 11
  { kind: 'TYPE_TAG', name: 'kptr_untrusted', type: 11 }, // 12
  { kind: 'PTR', type: 12 }, // 13
  { kind: 'STRUCT', name: 'val_kptr', size: 8, members: [['p', 13, 0]] }, // 14
  { kind: 'DATASEC', name: '.data', size: 4, vars: [[16, 0, 4]] }, // 15
  { kind: 'VAR', name: 'g', type: 1 }, // 16
  { kind: 'STRUCT', name: 'lpm_key', size: 8, members: [['prefixlen', 1, 0], ['data', 1, 32]] }, // 17
  { kind: 'TYPE_TAG', name: 'uptr', type: 11 }, // 18
  { kind: 'PTR', type: 18 }, // 19
  { kind: 'STRUCT', name: 'val_uptr', size: 8, members: [['p', 19, 0]] }, // 20
  { kind: 'STRUCT', name: 'empty', size: 0, members: [] }, // 21
  { kind: 'STRUCT', name: 'nest', size: 16, members: [['x', 3, 0], ['y', 3, 64]] }, // 22: two locks, one per nested struct
  { kind: 'ARRAY', type: 2, index: 1, nelems: 2 }, // 23
  { kind: 'STRUCT', name: 'lock_array', size: 8, members: [['l', 23, 0]] }, // 24: an array of locks (the search fails: plain data)
];
const MAP_BTF = encodeBtfBlob(MAP_TYPES).blob;

const mapBtfCase = (name: string, fields: (env: CaseEnv) => MapCreateAttr): DiffCase => ({
  name: `map_create btf: ${name}`,
  cmd: BpfCmd.BPF_MAP_CREATE,
  attr: (env) => encodeMapCreateAttr(fields(env)),
});

/** A map of `type` with BTF key/value ids over {@link MAP_TYPES}. */
const withBtf = (name: string, type: number, keySize: number, valueSize: number, key: number, value: number, extra: MapCreateAttr = {}): DiffCase =>
  mapBtfCase(name, (env) => ({
    map_type: type, key_size: keySize, value_size: valueSize, max_entries: 4,
    btf_fd: env.btf(MAP_BTF), btf_key_type_id: key, btf_value_type_id: value, ...extra,
  }));

const LOCAL = { max_entries: 0, map_flags: BPF_F_NO_PREALLOC };

/** MAP_CREATE with BTF: fd lookup, sizes, per-type checks and special fields. */
export const MAP_BTF_CASES: readonly DiffCase[] = [
  withBtf('array, int key, struct value', M.BPF_MAP_TYPE_ARRAY, 4, 8, 1, 7),
  withBtf('array, unsigned int key', M.BPF_MAP_TYPE_ARRAY, 4, 8, 8, 7),
  withBtf('array, key is a struct of 4 bytes (node_t)', M.BPF_MAP_TYPE_ARRAY, 4, 8, 11, 7),
  withBtf('array keyless with a DATASEC value, 1 entry', M.BPF_MAP_TYPE_ARRAY, 4, 4, 0, 15, { max_entries: 1 }),
  withBtf('array keyless with an int value', M.BPF_MAP_TYPE_ARRAY, 4, 4, 0, 1, { max_entries: 1 }),
  withBtf('percpu_array keyless with a DATASEC value', M.BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 0, 15, { max_entries: 1 }),
  withBtf('hash keyless', M.BPF_MAP_TYPE_HASH, 4, 4, 0, 1),
  withBtf('hash key type 4 bytes, key_size 8', M.BPF_MAP_TYPE_HASH, 8, 4, 1, 1),
  withBtf('hash value type 8 bytes, value_size 4', M.BPF_MAP_TYPE_HASH, 4, 4, 1, 7),
  withBtf('hash value type id 999 (none)', M.BPF_MAP_TYPE_HASH, 4, 4, 1, 999),
  withBtf('hash key id without value id', M.BPF_MAP_TYPE_HASH, 4, 4, 1, 0),
  withBtf('hash key u64 struct key 8', M.BPF_MAP_TYPE_HASH, 8, 8, 5, 7),
  mapBtfCase('hash, btf_fd 9999 (not open)', () => ({ map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 4, max_entries: 4, btf_fd: 9999, btf_key_type_id: 1, btf_value_type_id: 1 })),
  mapBtfCase('hash, btf_fd is /proc (not BTF)', (env) => ({ map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 4, max_entries: 4, btf_fd: env.open('/proc'), btf_key_type_id: 1, btf_value_type_id: 1 })),
  mapBtfCase("hash, btf_fd is the kernel's BTF", (env) => ({ map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 4, max_entries: 4, btf_fd: vmlinuxBtfFd(env), btf_key_type_id: 1, btf_value_type_id: 1 })),
  withBtf('hash with btf_vmlinux_value_type_id', M.BPF_MAP_TYPE_HASH, 4, 4, 1, 1, { btf_vmlinux_value_type_id: 1 }),
  withBtf('spin lock in hash', M.BPF_MAP_TYPE_HASH, 4, 8, 1, 3),
  withBtf('spin lock in array', M.BPF_MAP_TYPE_ARRAY, 4, 8, 1, 3),
  withBtf('spin lock in lru_hash', M.BPF_MAP_TYPE_LRU_HASH, 4, 8, 1, 3),
  withBtf('spin lock in percpu_hash', M.BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 1, 3),
  withBtf('spin lock in percpu_array', M.BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, 3),
  withBtf('spin lock in lru_percpu_hash', M.BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 1, 3),
  withBtf('spin lock in sk_storage', M.BPF_MAP_TYPE_SK_STORAGE, 4, 8, 1, 3, LOCAL),
  withBtf('spin lock in hash with BPF_F_RDONLY_PROG', M.BPF_MAP_TYPE_HASH, 4, 8, 1, 3, { map_flags: BPF_F_RDONLY_PROG }),
  withBtf('plain struct in hash with BPF_F_RDONLY_PROG', M.BPF_MAP_TYPE_HASH, 4, 8, 1, 7, { map_flags: BPF_F_RDONLY_PROG }),
  withBtf('two spin locks in nested structs, hash', M.BPF_MAP_TYPE_HASH, 4, 16, 1, 22),
  withBtf('two spin locks in nested structs, percpu_hash', M.BPF_MAP_TYPE_PERCPU_HASH, 4, 16, 1, 22),
  withBtf('array of spin locks in percpu_hash (search fails: plain data)', M.BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 1, 24),
  withBtf('timer in hash', M.BPF_MAP_TYPE_HASH, 4, 16, 1, 6),
  withBtf('timer in array', M.BPF_MAP_TYPE_ARRAY, 4, 16, 1, 6),
  withBtf('timer in lru_hash', M.BPF_MAP_TYPE_LRU_HASH, 4, 16, 1, 6),
  withBtf('timer in percpu_hash', M.BPF_MAP_TYPE_PERCPU_HASH, 4, 16, 1, 6),
  withBtf('timer in percpu_array', M.BPF_MAP_TYPE_PERCPU_ARRAY, 4, 16, 1, 6),
  withBtf('bpf_wq in array', M.BPF_MAP_TYPE_ARRAY, 4, 16, 1, 10),
  withBtf('bpf_wq in percpu_array', M.BPF_MAP_TYPE_PERCPU_ARRAY, 4, 16, 1, 10),
  withBtf('kptr_untrusted in hash', M.BPF_MAP_TYPE_HASH, 4, 8, 1, 14),
  withBtf('kptr_untrusted in lru_percpu_hash', M.BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 1, 14),
  withBtf('uptr in hash', M.BPF_MAP_TYPE_HASH, 4, 8, 1, 20),
  withBtf('uptr in task_storage', M.BPF_MAP_TYPE_TASK_STORAGE, 4, 8, 1, 20, LOCAL),
  withBtf('perf_event_array with BTF (map_check_no_btf)', M.BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 1, 1),
  withBtf('ringbuf keyless, empty struct value', M.BPF_MAP_TYPE_RINGBUF, 0, 0, 0, 21, { max_entries: 4096 }),
  withBtf('bloom_filter keyless', M.BPF_MAP_TYPE_BLOOM_FILTER, 0, 4, 0, 1),
  withBtf('bloom_filter with a key type', M.BPF_MAP_TYPE_BLOOM_FILTER, 0, 4, 1, 1),
  withBtf('lpm_trie with a struct key', M.BPF_MAP_TYPE_LPM_TRIE, 8, 4, 17, 1, { map_flags: BPF_F_NO_PREALLOC }),
  withBtf('lpm_trie with a u64 key', M.BPF_MAP_TYPE_LPM_TRIE, 8, 4, 5, 1, { map_flags: BPF_F_NO_PREALLOC }),
  withBtf('sk_storage with an int key', M.BPF_MAP_TYPE_SK_STORAGE, 4, 4, 1, 1, LOCAL),
  withBtf('sk_storage with a struct key', M.BPF_MAP_TYPE_SK_STORAGE, 4, 4, 11, 1, LOCAL),
  withBtf('cgroup_storage with a u64 key', M.BPF_MAP_TYPE_CGROUP_STORAGE, 8, 4, 5, 1, { max_entries: 0 }),
  withBtf('cgroup_storage with a plain 8-byte struct key', M.BPF_MAP_TYPE_CGROUP_STORAGE, 8, 4, 7, 1, { max_entries: 0 }),
];

const lock: BtfSpec = { kind: 'STRUCT', name: 'bpf_spin_lock', size: 4, members: [['val', 1, 0]] };
const INT: BtfSpec = { kind: 'INT', name: 'int', size: 4 };

/** BTF_LOAD of structs whose special fields the kernel parses at load (`btf_parse_struct_metas`). */
export const BTF_META_CASES: readonly DiffCase[] = [
  btfCase('struct with two spin locks', encodeBtfBlob([INT, lock, { kind: 'STRUCT', name: 'x', size: 8, members: [['l', 2, 0], ['k', 2, 32]] }]).blob),
  btfCase('spin lock at byte 1', encodeBtfBlob([INT, lock, { kind: 'STRUCT', name: 'x', size: 8, members: [['l', 2, 8]] }]).blob),
  btfCase('spin lock overlapping an rb_node', encodeBtfBlob([INT, lock, { kind: 'STRUCT', name: 'bpf_rb_node', size: 32, members: [['a', 1, 0]] },
    { kind: 'STRUCT', name: 'x', size: 36, members: [['n', 3, 0], ['l', 2, 0]] }]).blob),
  btfCase('struct with a spin lock and ints', encodeBtfBlob([INT, lock, { kind: 'STRUCT', name: 'x', size: 12, members: [['a', 1, 0], ['b', 1, 32], ['l', 2, 64]] }]).blob),
  btfCase('bitfield member before a spin lock', (() => {
    const b = encodeBtfBlob([INT, lock, { kind: 'STRUCT', name: 'x', size: 8, members: [['a', 1, 0], ['b', 1, 3], ['l', 2, 32]] }]).blob;
    // Turn the struct's kind_flag on and give members a and b bitfield sizes 3 and 5.
    const dv = new DataView(b.buffer);
    const structAt = 24 + 16 + 12 + 12;
    dv.setUint32(structAt + 4, dv.getUint32(structAt + 4, true) | 0x8000_0000, true);
    dv.setUint32(structAt + 12 + 8, (3 << 24) | 0, true);
    dv.setUint32(structAt + 24 + 8, (5 << 24) | 3, true);
    return b;
  })()),
];

/** Program BTF: int, `int (void)`, FUNC main, FUNC sub, a struct; strings for line_info. */
const PROG_TYPES: readonly BtfSpec[] = [
  INT, // 1
  { kind: 'FUNC_PROTO', ret: 1, params: [] }, // 2
  { kind: 'FUNC', name: 'main', type: 2 }, // 3
  { kind: 'FUNC', name: 'sub', type: 2 }, // 4
  { kind: 'STRUCT', name: 's', size: 4, members: [['a', 1, 0]] }, // 5
];
const PROG = encodeBtfBlob(PROG_TYPES, ['prog.c', 'return 0;']);
const FILE = PROG.strOff('prog.c');
const LINE = PROG.strOff('return 0;');

function records(words: readonly (readonly number[])[], recWords: number): Uint8Array {
  const out = new Uint8Array(words.length * recWords * 4);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) => { w.slice(0, recWords).forEach((v, j) => { dv.setUint32((i * recWords + j) * 4, v >>> 0, true); }); });
  return out;
}

/** main calls a subprogram at insn 3: `call pc+2; r0 = 0; exit; r0 = 0; exit`. */
const WITH_SUBPROG = program(insn(0x85, 0, 1, 0, 2), movImm(0, 0), exit(), movImm(0, 0), exit());
/** `r0 = 0 (ld_imm64); exit`: insn 1 is the second half of ld_imm64 (code 0). */
const WITH_LD_IMM64 = program(insn(0x18, 0, 0, 0, 0), insn(0, 0, 0, 0, 0), exit());

const progBtfCase = (name: string, insns: Uint8Array, extra: (env: CaseEnv) => ProgLoadAttr): DiffCase => ({
  name: `prog_load btf: ${name}`,
  cmd: BpfCmd.BPF_PROG_LOAD,
  attr: (env) => encodeProgLoadAttr({
    prog_type: P.BPF_PROG_TYPE_SOCKET_FILTER, insn_cnt: insns.length / 8, insns: env.bytes(insns), license: env.bytes(GPL),
    log_level: 1, log_size: 4096, log_buf: env.bytes(4096), ...extra(env),
  }),
});

const funcInfo = (recs: readonly (readonly number[])[], recSize = 8, btf: (env: CaseEnv) => number = (env) => env.btf(PROG.blob)) =>
  (env: CaseEnv): ProgLoadAttr => ({
    prog_btf_fd: btf(env), func_info_rec_size: recSize, func_info: env.bytes(records(recs, Math.ceil(recSize / 4))), func_info_cnt: recs.length,
  });
const lineInfo = (recs: readonly (readonly number[])[], recSize = 16) =>
  (env: CaseEnv): ProgLoadAttr => ({
    prog_btf_fd: env.btf(PROG.blob), line_info_rec_size: recSize, line_info: env.bytes(records(recs, Math.ceil(recSize / 4))), line_info_cnt: recs.length,
  });

/** PROG_LOAD with func_info/line_info. */
export const PROG_BTF_CASES: readonly DiffCase[] = [
  progBtfCase('func_info for main', RETURN_ZERO, funcInfo([[0, 3]])),
  progBtfCase('func_info rec size 4', RETURN_ZERO, funcInfo([[0, 3]], 4)),
  progBtfCase('func_info rec size 10', RETURN_ZERO, funcInfo([[0, 3]], 10)),
  progBtfCase('func_info rec size 12 with a zero tail', RETURN_ZERO, funcInfo([[0, 3, 0]], 12)),
  progBtfCase('func_info rec size 12 with a nonzero tail', RETURN_ZERO, funcInfo([[0, 3, 1]], 12)),
  progBtfCase('func_info first insn_off 1', RETURN_ZERO, funcInfo([[1, 3]])),
  progBtfCase('func_info type is a struct', RETURN_ZERO, funcInfo([[0, 5]])),
  progBtfCase('func_info type id 999', RETURN_ZERO, funcInfo([[0, 999]])),
  progBtfCase('func_info two records, one subprogram', RETURN_ZERO, funcInfo([[0, 3], [1, 4]])),
  progBtfCase('func_info decreasing insn_off', WITH_SUBPROG, funcInfo([[0, 3], [0, 4]])),
  progBtfCase('func_info for main and a subprogram', WITH_SUBPROG, funcInfo([[0, 3], [3, 4]])),
  progBtfCase('func_info for a subprogram at the wrong insn', WITH_SUBPROG, funcInfo([[0, 3], [2, 4]])),
  progBtfCase('func_info missing the subprogram', WITH_SUBPROG, funcInfo([[0, 3]])),
  progBtfCase('func_info with prog_btf_fd 9999', RETURN_ZERO, funcInfo([[0, 3]], 8, () => 9999)),
  progBtfCase('func_info with prog_btf_fd /proc', RETURN_ZERO, funcInfo([[0, 3]], 8, (env) => env.open('/proc'))),
  progBtfCase("func_info with the kernel's BTF", RETURN_ZERO, funcInfo([[0, 3]], 8, vmlinuxBtfFd)),
  progBtfCase('prog_btf_fd 9999 without func_info or line_info', RETURN_ZERO, () => ({ prog_btf_fd: 9999 })),
  progBtfCase('line_info at insn 0', RETURN_ZERO, lineInfo([[0, FILE, LINE, 0]])),
  progBtfCase('line_info at insns 0 and 1', RETURN_ZERO, lineInfo([[0, FILE, LINE, 0], [1, FILE, LINE, 0]])),
  progBtfCase('line_info rec size 8', RETURN_ZERO, lineInfo([[0, FILE]], 8)),
  progBtfCase('line_info rec size 20 with a nonzero tail', RETURN_ZERO, lineInfo([[0, FILE, LINE, 0, 7]], 20)),
  progBtfCase('line_info insn_off past the program', RETURN_ZERO, lineInfo([[0, FILE, LINE, 0], [2, FILE, LINE, 0]])),
  progBtfCase('line_info not increasing', RETURN_ZERO, lineInfo([[1, FILE, LINE, 0], [1, FILE, LINE, 0]])),
  progBtfCase('line_info starting at insn 1', RETURN_ZERO, lineInfo([[1, FILE, LINE, 0]])),
  progBtfCase('line_info with a bad string offset', RETURN_ZERO, lineInfo([[0, 99999, LINE, 0]])),
  progBtfCase('line_info on the second half of ld_imm64', WITH_LD_IMM64, lineInfo([[0, FILE, LINE, 0], [1, FILE, LINE, 0]])),
  progBtfCase('line_info missing for the subprogram', WITH_SUBPROG, lineInfo([[0, FILE, LINE, 0]])),
  progBtfCase('line_info for main and the subprogram', WITH_SUBPROG, lineInfo([[0, FILE, LINE, 0], [3, FILE, LINE, 0]])),
];

const vmlinux = hostVmlinuxBtf();
const vmlinuxId = (name: string, kind: string): number => vmlinux.findAll(name, kind as never)[0] ?? 0;

const attachCase = (name: string, type: number, eat: number, attachBtfId: number, extra: (env: CaseEnv) => ProgLoadAttr = () => ({})): DiffCase =>
  progBtfCase(name, RETURN_ZERO, (env) => ({ prog_type: type, expected_attach_type: eat, attach_btf_id: attachBtfId, ...extra(env) }));

/** PROG_LOAD of BTF-attached programs: the attach target's checks. */
export const ATTACH_CASES: readonly DiffCase[] = [
  attachCase('fentry on bpf_fentry_test1', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_FENTRY, vmlinuxId('bpf_fentry_test1', 'FUNC')),
  attachCase('fentry without attach_btf_id', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_FENTRY, 0),
  attachCase('fentry on an id past the kernel BTF', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_FENTRY, vmlinux.nrTypes + 10),
  attachCase("fentry on 'int' (not a function)", P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_FENTRY, vmlinuxId('int', 'INT')),
  attachCase('tp_btf on btf_trace_sched_switch', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_RAW_TP, vmlinuxId('btf_trace_sched_switch', 'TYPEDEF')),
  attachCase('tp_btf on a function', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_RAW_TP, vmlinuxId('bpf_fentry_test1', 'FUNC')),
  attachCase('lsm on bpf_lsm_file_open', P.BPF_PROG_TYPE_LSM, A.BPF_LSM_MAC, vmlinuxId('bpf_lsm_file_open', 'FUNC')),
  attachCase('lsm on bpf_fentry_test1 (not a hook)', P.BPF_PROG_TYPE_LSM, A.BPF_LSM_MAC, vmlinuxId('bpf_fentry_test1', 'FUNC')),
  attachCase('freplace of a kernel function', P.BPF_PROG_TYPE_EXT, 0, vmlinuxId('bpf_fentry_test1', 'FUNC')),
  attachCase('struct_ops on task_struct (not a struct_ops type)', P.BPF_PROG_TYPE_STRUCT_OPS, 0, vmlinuxId('task_struct', 'STRUCT')),
  attachCase('struct_ops on tcp_congestion_ops member 999', P.BPF_PROG_TYPE_STRUCT_OPS, 999, vmlinuxId('tcp_congestion_ops', 'STRUCT')),
  attachCase('struct_ops without attach_btf_id', P.BPF_PROG_TYPE_STRUCT_OPS, 0, 0),
  attachCase('fentry with attach_btf_obj_fd of program BTF', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_FENTRY, 3, (env) => ({ attach_btf_obj_fd: env.btf(PROG.blob) })),
  attachCase("fentry with attach_btf_obj_fd of the kernel's BTF", P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_FENTRY, vmlinuxId('bpf_fentry_test1', 'FUNC'), (env) => ({ attach_btf_obj_fd: vmlinuxBtfFd(env) })),
  attachCase('fentry with attach_prog_fd 9999', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_FENTRY, 1, () => ({ attach_prog_fd: 9999 })),
];
