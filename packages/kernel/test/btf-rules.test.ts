import test from 'ava';
import { BtfBuilder, BtfIntEncoding } from '@bpfkit/btf';
import { isBpfError, type Task } from '@bpfkit/kernel-api';
import { builtinVmlinuxBtf, createDefaultKernel } from '@bpfkit/kernel/defaults';
import { BPF_F_RDONLY_PROG, BpfAttachType, BpfCmd, BpfMapType as M, BpfProgType as P, encodeAttr } from '@bpfkit/uapi';

const kernel = (sysctl = 2) => createDefaultKernel({ vmlinuxBtf: builtinVmlinuxBtf, sysctls: { 'kernel.unprivileged_bpf_disabled': sysctl } });

const member = (name: string, type: number, bitsOffset: number) => ({ name, type, bitsOffset, bitfieldSize: 0 });

/** int(1), bpf_spin_lock(2), val_lock(3), u64(4), bpf_timer(5), val_timer(6), plain(7), DATASEC .data(8) of VAR g(9). */
function valueBtf(): Uint8Array {
  const b = new BtfBuilder();
  b.add({ kind: 'INT', name: 'int', size: 4, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 32 });
  b.add({ kind: 'STRUCT', name: 'bpf_spin_lock', size: 4, kflag: false, members: [member('val', 1, 0)] });
  b.add({ kind: 'STRUCT', name: 'val_lock', size: 8, kflag: false, members: [member('a', 1, 0), member('l', 2, 32)] });
  b.add({ kind: 'INT', name: 'u64', size: 8, encoding: 0, bitsOffset: 0, bits: 64 });
  b.add({ kind: 'STRUCT', name: 'bpf_timer', size: 16, kflag: false, members: [member('a', 4, 0), member('b', 4, 64)] });
  b.add({ kind: 'STRUCT', name: 'val_timer', size: 16, kflag: false, members: [member('t', 5, 0)] });
  b.add({ kind: 'STRUCT', name: 'plain', size: 8, kflag: false, members: [member('a', 1, 0), member('b', 1, 32)] });
  b.add({ kind: 'DATASEC', name: '.data', size: 4, vars: [{ type: 9, offset: 0, size: 4 }] });
  b.add({ kind: 'VAR', name: 'g', type: 1, linkage: 1 });
  return b.encode();
}

function loadBtf(task: Task, blob: Uint8Array): number {
  return task.bpf(BpfCmd.BPF_BTF_LOAD, encodeAttr(BpfCmd.BPF_BTF_LOAD, { btf: task.memory.alloc(blob), btf_size: blob.length }));
}

function errno(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (isBpfError(e)) return e.code;
    throw e;
  }
}

function createMap(task: Task, fields: Record<string, number>): string {
  return errno(() => task.bpf(BpfCmd.BPF_MAP_CREATE, encodeAttr(BpfCmd.BPF_MAP_CREATE, { max_entries: 4, ...fields })));
}

const withValue = (btf: number, type: number, value: number, valueSize: number, extra: Record<string, number> = {}) =>
  ({ map_type: type, key_size: 4, value_size: valueSize, btf_fd: btf, btf_key_type_id: 1, btf_value_type_id: value, ...extra });

test('map_create: a closed btf_fd is EBADF, a non-BTF fd EINVAL, the kernel BTF EACCES', (t) => {
  const task = kernel().init;
  t.is(createMap(task, { map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 4, btf_fd: 99, btf_key_type_id: 1, btf_value_type_id: 1 }), 'EBADF');
  const proc = task.open('/proc', 0);
  t.is(createMap(task, { map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 4, btf_fd: proc, btf_key_type_id: 1, btf_value_type_id: 1 }), 'EINVAL');
  const vmlinux = task.bpf(BpfCmd.BPF_BTF_GET_FD_BY_ID, encodeAttr(BpfCmd.BPF_BTF_GET_FD_BY_ID, { btf_id: 1 }));
  t.is(createMap(task, { map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 4, btf_fd: vmlinux, btf_key_type_id: 1, btf_value_type_id: 1 }), 'EACCES');
});

test('map_check_btf: key and value types must have the sizes of key_size and value_size (EINVAL)', (t) => {
  const task = kernel().init;
  const btf = loadBtf(task, valueBtf());
  t.is(createMap(task, withValue(btf, M.BPF_MAP_TYPE_HASH, 7, 8)), 'ok');
  t.is(createMap(task, withValue(btf, M.BPF_MAP_TYPE_HASH, 7, 4)), 'EINVAL');
  t.is(createMap(task, { ...withValue(btf, M.BPF_MAP_TYPE_HASH, 1, 4), key_size: 8 }), 'EINVAL');
  t.is(createMap(task, withValue(btf, M.BPF_MAP_TYPE_HASH, 999, 4)), 'EINVAL');
});

test('map_check_btf: no key BTF only for types with their own check (hash EINVAL, keyless .data array ok)', (t) => {
  const task = kernel().init;
  const btf = loadBtf(task, valueBtf());
  t.is(createMap(task, { ...withValue(btf, M.BPF_MAP_TYPE_HASH, 1, 4), btf_key_type_id: 0 }), 'EINVAL');
  t.is(createMap(task, { ...withValue(btf, M.BPF_MAP_TYPE_ARRAY, 8, 4), btf_key_type_id: 0, max_entries: 1 }), 'ok');
  t.is(createMap(task, { ...withValue(btf, M.BPF_MAP_TYPE_ARRAY, 1, 4), btf_key_type_id: 0, max_entries: 1 }), 'EINVAL');
});

test('map_check_no_btf: fd-holding maps refuse BTF with ENOTSUPP', (t) => {
  const task = kernel().init;
  const btf = loadBtf(task, valueBtf());
  t.is(createMap(task, withValue(btf, M.BPF_MAP_TYPE_PERF_EVENT_ARRAY, 1, 4)), 'ENOTSUPP');
});

test('special fields: a spin lock is allowed in hash and array, EOPNOTSUPP in per-CPU and LRU maps', (t) => {
  const task = kernel().init;
  const btf = loadBtf(task, valueBtf());
  t.is(createMap(task, withValue(btf, M.BPF_MAP_TYPE_HASH, 3, 8)), 'ok');
  t.is(createMap(task, withValue(btf, M.BPF_MAP_TYPE_ARRAY, 3, 8)), 'ok');
  t.is(createMap(task, withValue(btf, M.BPF_MAP_TYPE_PERCPU_HASH, 3, 8)), 'EOPNOTSUPP');
  t.is(createMap(task, withValue(btf, M.BPF_MAP_TYPE_LRU_HASH, 3, 8)), 'EOPNOTSUPP');
});

test('special fields: a timer is allowed in LRU hashes but not in per-CPU arrays (EOPNOTSUPP)', (t) => {
  const task = kernel().init;
  const btf = loadBtf(task, valueBtf());
  t.is(createMap(task, withValue(btf, M.BPF_MAP_TYPE_LRU_HASH, 6, 16)), 'ok');
  t.is(createMap(task, withValue(btf, M.BPF_MAP_TYPE_PERCPU_ARRAY, 6, 16)), 'EOPNOTSUPP');
});

test('special fields: BPF_F_RDONLY_PROG with a spin lock is EACCES', (t) => {
  const task = kernel().init;
  const btf = loadBtf(task, valueBtf());
  t.is(createMap(task, withValue(btf, M.BPF_MAP_TYPE_HASH, 3, 8, { map_flags: BPF_F_RDONLY_PROG })), 'EACCES');
  t.is(createMap(task, withValue(btf, M.BPF_MAP_TYPE_HASH, 7, 8, { map_flags: BPF_F_RDONLY_PROG })), 'ok');
});

test('special fields need CAP_BPF (EPERM) where plain values do not', (t) => {
  const k = kernel(0);
  const btf = loadBtf(k.init, valueBtf());
  const user = k.init.fork();
  user.setresuid(1000, 1000, 1000);
  t.is(createMap(user, withValue(btf, M.BPF_MAP_TYPE_HASH, 7, 8)), 'ok');
  t.is(createMap(user, withValue(btf, M.BPF_MAP_TYPE_HASH, 3, 8)), 'EPERM');
});

test('btf_parse_struct_metas: BTF_LOAD of a struct with two spin locks is E2BIG', (t) => {
  const task = kernel().init;
  const b = new BtfBuilder();
  b.add({ kind: 'INT', name: 'int', size: 4, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 32 });
  b.add({ kind: 'STRUCT', name: 'bpf_spin_lock', size: 4, kflag: false, members: [member('val', 1, 0)] });
  b.add({ kind: 'STRUCT', name: 'x', size: 8, kflag: false, members: [member('l', 2, 0), member('k', 2, 32)] });
  t.is(errno(() => loadBtf(task, b.encode())), 'E2BIG');
});

/** int(1), `int (void)`(2), FUNC main(3), a struct(4). */
function progBtf(): Uint8Array {
  const b = new BtfBuilder();
  b.add({ kind: 'INT', name: 'int', size: 4, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 32 });
  b.add({ kind: 'FUNC_PROTO', name: '', type: 1, params: [] });
  b.add({ kind: 'FUNC', name: 'main', type: 2, linkage: 1 });
  b.add({ kind: 'STRUCT', name: 's', size: 4, kflag: false, members: [member('a', 1, 0)] });
  b.addString('prog.c');
  return b.encode();
}

const RETURN_ZERO = Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

function loadProg(task: Task, fields: Record<string, number | bigint>): string {
  return errno(() => task.bpf(BpfCmd.BPF_PROG_LOAD, encodeAttr(BpfCmd.BPF_PROG_LOAD, {
    prog_type: P.BPF_PROG_TYPE_SOCKET_FILTER, insn_cnt: 2, insns: task.memory.alloc(RETURN_ZERO),
    license: task.memory.alloc(new TextEncoder().encode('GPL\0')), ...fields,
  })));
}

const u32s = (...words: number[]): Uint8Array => new Uint8Array(Uint32Array.from(words).buffer);

test('func_info: one FUNC at insn 0 loads; a bad record size, a first insn_off other than 0 or a non-FUNC type is EINVAL', (t) => {
  const task = kernel().init;
  const btf = loadBtf(task, progBtf());
  const fi = (words: number[], recSize = 8, cnt = 1) => ({ prog_btf_fd: btf, func_info_rec_size: recSize, func_info: task.memory.alloc(u32s(...words)), func_info_cnt: cnt });
  t.is(loadProg(task, fi([0, 3])), 'ok');
  t.is(loadProg(task, fi([0, 3], 4)), 'EINVAL');
  t.is(loadProg(task, fi([1, 3])), 'EINVAL');
  t.is(loadProg(task, fi([0, 4])), 'EINVAL');
  t.is(loadProg(task, fi([0, 3, 1], 12)), 'E2BIG');
  t.is(loadProg(task, fi([0, 3, 1, 3], 8, 2)), 'EINVAL');
  t.is(loadProg(task, { ...fi([0, 3]), prog_btf_fd: 99 }), 'EBADF');
});

test('line_info: must cover insn 0, stay inside the program and name real strings (EINVAL)', (t) => {
  const task = kernel().init;
  const btf = loadBtf(task, progBtf());
  const li = (words: number[], cnt = 1) => ({ prog_btf_fd: btf, line_info_rec_size: 16, line_info: task.memory.alloc(u32s(...words)), line_info_cnt: cnt });
  t.is(loadProg(task, li([0, 1, 1, 0])), 'ok');
  t.is(loadProg(task, li([1, 1, 1, 0])), 'EINVAL');
  t.is(loadProg(task, li([0, 1, 1, 0, 2, 1, 1, 0], 2)), 'EINVAL');
  t.is(loadProg(task, li([0, 99999, 1, 0])), 'EINVAL');
});

test('attach_btf_id: fentry needs a FUNC of the kernel BTF; lsm needs a bpf_lsm_ hook; freplace of a kernel function is EINVAL', (t) => {
  const task = kernel().init;
  const vm = builtinVmlinuxBtf();
  const fentry = { prog_type: P.BPF_PROG_TYPE_TRACING, expected_attach_type: BpfAttachType.BPF_TRACE_FENTRY };
  t.is(loadProg(task, { ...fentry, attach_btf_id: vm.findAll('bpf_fentry_test1', 'FUNC')[0] ?? 0 }), 'ok');
  t.is(loadProg(task, { ...fentry, attach_btf_id: 0 }), 'EINVAL');
  t.is(loadProg(task, { ...fentry, attach_btf_id: vm.findAll('int', 'INT')[0] ?? 0 }), 'EINVAL');
  t.is(loadProg(task, { ...fentry, attach_btf_id: vm.nrTypes + 5 }), 'EINVAL');
  const lsm = { prog_type: P.BPF_PROG_TYPE_LSM, expected_attach_type: BpfAttachType.BPF_LSM_MAC };
  t.is(loadProg(task, { ...lsm, attach_btf_id: vm.findAll('bpf_lsm_file_open', 'FUNC')[0] ?? 0 }), 'ok');
  t.is(loadProg(task, { ...lsm, attach_btf_id: vm.findAll('bpf_fentry_test1', 'FUNC')[0] ?? 0 }), 'EINVAL');
  t.is(loadProg(task, { prog_type: P.BPF_PROG_TYPE_EXT, attach_btf_id: vm.findAll('bpf_fentry_test1', 'FUNC')[0] ?? 0 }), 'EINVAL');
});

test('attach_btf_obj_fd: program BTF is ENOTSUPP, a closed fd EINVAL', (t) => {
  const task = kernel().init;
  task.open('/proc', 0); // fd 0 would read as "no attach_btf_obj_fd"
  const btf = loadBtf(task, progBtf());
  const fentry = { prog_type: P.BPF_PROG_TYPE_TRACING, expected_attach_type: BpfAttachType.BPF_TRACE_FENTRY, attach_btf_id: 3 };
  t.is(loadProg(task, { ...fentry, attach_btf_obj_fd: btf }), 'ENOTSUPP');
  t.is(loadProg(task, { ...fentry, attach_btf_obj_fd: 99 }), 'EINVAL');
});

/** `struct stash { <target> __<tag> *p; }` (kptr to a struct named `target`), as clang emits a `__kptr` member. */
function kptrBtf(target: string, tag: string): Uint8Array {
  const b = new BtfBuilder();
  b.add({ kind: 'INT', name: 'long', size: 8, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 64 });
  b.add({ kind: 'STRUCT', name: target, size: 8, kflag: false, members: [member('x', 1, 0)] });
  b.add({ kind: 'TYPE_TAG', name: tag, type: 2, kflag: false });
  b.add({ kind: 'PTR', name: '', type: 3 });
  b.add({ kind: 'STRUCT', name: 'stash', size: 8, kflag: false, members: [member('p', 4, 0)] });
  return b.encode();
}

test('BTF_LOAD parses the kptrs of every struct: a referenced kptr to a kernel struct without a destructor is ENOENT', (t) => {
  // Linux 6.18.44 on the reference machine gave these answers for the same shapes (struct file has no
  // destructor kfunc; task_struct and cgroup have one; a name the kernel does not have is a local type).
  const task = kernel().init;
  const load = (target: string, tag: string): string => errno(() => {
    task.close(loadBtf(task, kptrBtf(target, tag)));
  });
  t.is(load('file', 'kptr'), 'ENOENT');
  t.is(load('task_struct', 'kptr'), 'ok');
  t.is(load('cgroup', 'kptr'), 'ok');
  t.is(load('my_local_node', 'kptr'), 'ok');
  t.is(load('file', 'kptr_untrusted'), 'ok', 'an untrusted kptr needs no destructor');
  t.is(load('file', 'percpu_kptr'), 'ok');
  t.is(load('file', 'uptr'), 'ok', 'a uptr is not a kptr for the struct metas');
  t.is(load('file', 'other_tag'), 'ok', 'another tag makes no kptr');
});
