import { BPF_F_LINK, BPF_F_RDONLY, BPF_F_VTYPE_BTF_OBJ_FD, BpfCmd, BpfMapType as M, BpfProgType as P, encodeAttrGroup, encodeGetIdAttr, encodeInfoAttr, encodeProgLoadAttr } from '@bpfkit/uapi';
import { SPIN_LOCK_BTF, loadBtf } from './btf.js';
import { kernelBtf } from './kernel-btf.js';
import { del, freeze, hex, lookup, mapCreate, nextKey, u32, update } from './ops.js';
import { GPL, exit, insn, movImm } from './prog-bytes.js';
import type { CaseRunner, Observed, SyscallCase } from './runner.js';

const OPS = 'tcp_congestion_ops';
const VALUE = `bpf_struct_ops_${OPS}`;
/** Where `data` starts in the 6.18 value, and the members the cases touch. */
const DATA = 64;
const SSTHRESH = 0;
const CONG_AVOID = 1;
const UNDO_CWND = 8;
const GET_INFO = 10;
const NAME = 11;
const KEY = 14;
const FLAGS = 15;
const VALUE_SIZE = 256;

interface KernelIds {
  readonly ops: number;
  readonly value: number;
  /** Byte offsets of the members in the struct, by index. */
  readonly offsets: readonly number[];
}

/** Looks the struct_ops types up by name; records whether both are there. */
function kernelIds(r: CaseRunner): KernelIds | undefined {
  const btf = kernelBtf(r);
  const ops = btf?.byName(OPS, 'STRUCT');
  const value = btf?.byName(VALUE, 'STRUCT');
  const t = ops === undefined ? undefined : btf?.type(ops);
  r.record('the kernel BTF has the struct_ops types', { ops: ops !== undefined, value: value !== undefined });
  if (ops === undefined || value === undefined || t?.kind !== 'STRUCT') return undefined;
  return { ops, value, offsets: t.members.map((m) => m.bitsOffset / 8) };
}

function structOpsMap(r: CaseRunner, step: string, ids: KernelIds, btf: number, over: { value_size?: number; map_flags?: number; key_size?: number; max_entries?: number; btf_vmlinux_value_type_id?: number; btf_key_type_id?: number; value_type_btf_obj_fd?: number } = {}): number | undefined {
  return mapCreate(r, step, {
    map_type: M.BPF_MAP_TYPE_STRUCT_OPS, key_size: 4, value_size: VALUE_SIZE, max_entries: 1, btf_fd: btf,
    btf_vmlinux_value_type_id: ids.value, ...over,
  });
}

/** BPF_PROG_LOAD of a struct_ops program for member `idx`; records the log's last line on failure. */
function loadOp(r: CaseRunner, step: string, ids: KernelIds, idx: number, insns: Uint8Array, over: { license?: Uint8Array; attach_btf_id?: number; prog_flags?: number } = {}): number | undefined {
  const logSize = 4096;
  const log = r.mem(logSize);
  const fd = r.call(step, BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
    prog_type: P.BPF_PROG_TYPE_STRUCT_OPS, insn_cnt: insns.length / 8, insns: r.mem(insns), license: r.mem(over.license ?? GPL),
    expected_attach_type: idx, attach_btf_id: over.attach_btf_id ?? ids.ops, log_level: 1, log_size: logSize, log_buf: log,
    prog_flags: over.prog_flags ?? 0,
  }), (ret): Record<string, Observed> => {
    if (ret >= 0) return {};
    const text = new TextDecoder().decode(r.read(log, logSize));
    const lines = text.slice(0, Math.max(0, text.indexOf('\0'))).split('\n').filter((l) => l !== '' && !l.startsWith('processed ') && !l.startsWith('verification time') && !l.startsWith('stack depth'));
    // Type ids differ between kernels: the log names them by role.
    return { log: lines.slice(-2).map((l) => l.replaceAll(String(ids.value), '<value type id>')) };
  });
  return fd === undefined ? undefined : r.own(fd);
}

/** The value a user writes: `data` members at their kernel offsets. */
function value(ids: KernelIds, fill: { name?: string; flags?: number; progs?: Readonly<Record<number, number>>; at?: readonly [number, number][] }): Uint8Array {
  const v = new Uint8Array(VALUE_SIZE);
  const dv = new DataView(v.buffer);
  const base = (i: number): number => DATA + (ids.offsets[i] ?? 0);
  if (fill.name !== undefined) v.set(new TextEncoder().encode(fill.name), base(NAME));
  if (fill.flags !== undefined) dv.setUint32(base(FLAGS), fill.flags, true);
  for (const [i, fd] of Object.entries(fill.progs ?? {})) dv.setBigUint64(base(Number(i)), BigInt(fd), true);
  for (const [off, byte] of fill.at ?? []) v[off] = byte;
  return v;
}

/** The looked-up value as both kernels give it: the header, the name, and which callback slots hold a (program id) value. */
function lookupSummary(r: CaseRunner, step: string, fd: number, ids: KernelIds): void {
  const out = r.mem(VALUE_SIZE);
  r.call(step, BpfCmd.BPF_MAP_LOOKUP_ELEM, encodeElem(r, fd, out), () => {
    const v = r.read(out, VALUE_SIZE);
    const dv = new DataView(v.buffer, v.byteOffset);
    const slots = [SSTHRESH, CONG_AVOID, UNDO_CWND].map((i) => dv.getBigUint64(DATA + (ids.offsets[i] ?? 0), true) !== 0n);
    const name = v.subarray(DATA + (ids.offsets[NAME] ?? 0), DATA + (ids.offsets[NAME] ?? 0) + 16);
    return { refcnt: dv.getUint32(0, true), state: dv.getUint32(4, true), slots, name: hex(name), flags: dv.getUint32(DATA + (ids.offsets[FLAGS] ?? 0), true) };
  });
}

function encodeElem(r: CaseRunner, fd: number, valueAddr: bigint): Uint8Array {
  const attr = new Uint8Array(32);
  const dv = new DataView(attr.buffer);
  dv.setUint32(0, fd, true);
  dv.setBigUint64(8, r.mem(u32(0)), true);
  dv.setBigUint64(16, valueAddr, true);
  return attr;
}

const ret = (v: number): Uint8Array => Uint8Array.from([...movImm(0, v), ...exit()]);
const voidOp = Uint8Array.from(exit());
/** `r0 = *(u64 *)(r1 + off); r0 = 0; exit`: reads one argument. */
const readsArg = (off: number, size = 0x79): Uint8Array => Uint8Array.from([...insn(size, 0, 1, off, 0), ...movImm(0, 0), ...exit()]);

/** The map's info, its vmlinux value type named by role (ids differ between kernels). */
function mapInfo(r: CaseRunner, step: string, fd: number, ids: KernelIds): void {
  const info = r.mem(104);
  r.call(step, BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: fd, info_len: 104, info }), () => {
    const v = new DataView(r.read(info, 104).buffer);
    return {
      type: v.getUint32(0, true), key_size: v.getUint32(8, true), value_size: v.getUint32(12, true), max_entries: v.getUint32(16, true),
      map_flags: v.getUint32(20, true), btfIdNonZero: v.getUint32(64, true) !== 0, btf_value_type_id: v.getUint32(72, true),
      vmlinuxValueIsTheWrapper: v.getUint32(44, true) === ids.value,
      btf_vmlinux_id: v.getUint32(76, true),
    };
  });
}

/** Map creation: the value type must be a registered `bpf_struct_ops_*`, of its size. */
const CREATE: SyscallCase = {
  name: 'struct_ops: map create',
  run(r) {
    const ids = kernelIds(r);
    const btf = loadBtf(r, 'load BTF', SPIN_LOCK_BTF);
    if (ids === undefined || btf === undefined) return;
    const fd = structOpsMap(r, 'create', ids, btf);
    if (fd !== undefined) {
      mapInfo(r, 'info', fd, ids);
      lookupSummary(r, 'lookup before update', fd, ids);
      lookup(r, 'lookup key 1', fd, u32(1), VALUE_SIZE);
      nextKey(r, 'get_next_key from NULL', fd, undefined, 4);
      nextKey(r, 'get_next_key from 0', fd, u32(0), 4);
      del(r, 'delete before update', fd, u32(0));
      freeze(r, 'freeze', fd);
    }
    structOpsMap(r, 'value_size 255', ids, btf, { value_size: 255 });
    structOpsMap(r, 'value type is the struct itself', ids, btf, { btf_vmlinux_value_type_id: ids.ops });
    structOpsMap(r, 'value type id past the end', ids, btf, { btf_vmlinux_value_type_id: 0xfffff });
    structOpsMap(r, 'key_size 8', ids, btf, { key_size: 8 });
    structOpsMap(r, 'max_entries 2', ids, btf, { max_entries: 2 });
    structOpsMap(r, 'BPF_F_RDONLY', ids, btf, { map_flags: BPF_F_RDONLY });
    structOpsMap(r, 'with btf_key_type_id', ids, btf, { btf_key_type_id: 1 });
    const link = structOpsMap(r, 'BPF_F_LINK', ids, btf, { map_flags: BPF_F_LINK });
    if (link !== undefined) mapInfo(r, 'BPF_F_LINK: info', link, ids);
    const vmlinuxFd = r.own(r.sys.bpf(BpfCmd.BPF_BTF_GET_FD_BY_ID, encodeGetIdAttr({ start_id: 1 })));
    structOpsMap(r, 'BPF_F_VTYPE_BTF_OBJ_FD naming vmlinux (not a module)', ids, btf, { map_flags: BPF_F_VTYPE_BTF_OBJ_FD, value_type_btf_obj_fd: vmlinuxFd });
    structOpsMap(r, 'BPF_F_VTYPE_BTF_OBJ_FD naming program BTF', ids, btf, { map_flags: BPF_F_VTYPE_BTF_OBJ_FD, value_type_btf_obj_fd: btf });
    structOpsMap(r, 'BPF_F_VTYPE_BTF_OBJ_FD with fd 9999', ids, btf, { map_flags: BPF_F_VTYPE_BTF_OBJ_FD, value_type_btf_obj_fd: 9999 });
    mapCreate(r, 'without btf_vmlinux_value_type_id', { map_type: M.BPF_MAP_TYPE_STRUCT_OPS, key_size: 4, value_size: VALUE_SIZE, max_entries: 1, btf_fd: btf });
  },
};

/** Program loads: the member index, the license, the context and the return value. */
const LOAD: SyscallCase = {
  name: 'struct_ops: program load',
  run(r) {
    const ids = kernelIds(r);
    if (ids === undefined) return;
    const ssthresh = loadOp(r, 'ssthresh returning 2', ids, SSTHRESH, ret(2));
    if (ssthresh !== undefined) {
      const info = r.mem(232);
      r.call('info of a struct_ops program', BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: ssthresh, info_len: 232, info }), () => {
        const v = new DataView(r.read(info, 232).buffer);
        return { type: v.getUint32(0, true), attach_btf_obj_id: v.getUint32(220, true), attachBtfIdIsTheStruct: v.getUint32(224, true) === ids.ops };
      });
      r.call('test run of a tcp_congestion_ops program', BpfCmd.BPF_PROG_TEST_RUN, encodeAttrGroup('test', { prog_fd: ssthresh, repeat: 1 }));
      r.call('test run with a context', BpfCmd.BPF_PROG_TEST_RUN, encodeAttrGroup('test', { prog_fd: ssthresh, repeat: 1, ctx_in: r.mem(8), ctx_size_in: 8 }));
    }
    loadOp(r, 'ssthresh without r0', ids, SSTHRESH, voidOp);
    loadOp(r, 'cong_avoid without r0 (void)', ids, CONG_AVOID, voidOp);
    loadOp(r, 'cong_avoid reads its third argument', ids, CONG_AVOID, readsArg(16));
    loadOp(r, 'cong_avoid reads a fourth argument', ids, CONG_AVOID, readsArg(24));
    loadOp(r, 'cong_avoid reads 4 bytes of its second argument', ids, CONG_AVOID, readsArg(8, 0x61));
    loadOp(r, 'cong_avoid reads at offset 4', ids, CONG_AVOID, readsArg(4, 0x61));
    loadOp(r, 'cong_avoid writes its context', ids, CONG_AVOID, Uint8Array.from([...movImm(2, 0), ...insn(0x7b, 1, 2, 0, 0), ...exit()]));
    loadOp(r, 'sleepable ssthresh', ids, SSTHRESH, ret(1), { prog_flags: 16 });
    loadOp(r, 'get_info (no BPF callback there)', ids, GET_INFO, ret(0));
    loadOp(r, 'member 11 (name, not a function pointer)', ids, NAME, ret(0));
    loadOp(r, 'member 18 (past the last)', ids, 18, ret(0));
    loadOp(r, 'license Proprietary', ids, SSTHRESH, ret(0), { license: new TextEncoder().encode('Proprietary\0') });
    loadOp(r, 'attach_btf_id 0', ids, SSTHRESH, ret(0), { attach_btf_id: 0 });
    loadOp(r, 'attach_btf_id of the value type', ids, SSTHRESH, ret(0), { attach_btf_id: ids.value });
  },
};

/** Updates: the checks of the value, the programs in its slots, registration and unregistration. */
const UPDATE: SyscallCase = {
  name: 'struct_ops: map update, lookup and delete',
  run(r) {
    const ids = kernelIds(r);
    const btf = loadBtf(r, 'load BTF', SPIN_LOCK_BTF);
    if (ids === undefined || btf === undefined) return;
    const ssthresh = loadOp(r, 'load ssthresh', ids, SSTHRESH, ret(2));
    const congAvoid = loadOp(r, 'load cong_avoid', ids, CONG_AVOID, voidOp);
    const undo = loadOp(r, 'load undo_cwnd', ids, UNDO_CWND, ret(2));
    const fd = structOpsMap(r, 'create', ids, btf);
    if (ssthresh === undefined || congAvoid === undefined || undo === undefined || fd === undefined) return;
    const progs = { [SSTHRESH]: ssthresh, [CONG_AVOID]: congAvoid, [UNDO_CWND]: undo };
    const good = value(ids, { name: 'bpfkit_sc1', progs });
    update(r, 'flags BPF_NOEXIST', fd, u32(0), good, 1n);
    update(r, 'key 1', fd, u32(1), good);
    update(r, 'state set in the value', fd, u32(0), value(ids, { name: 'bpfkit_sc1', progs, at: [[4, 1]] }));
    update(r, 'refcnt set in the value', fd, u32(0), value(ids, { name: 'bpfkit_sc1', progs, at: [[0, 1]] }));
    update(r, 'a byte in the hole before data', fd, u32(0), value(ids, { name: 'bpfkit_sc1', progs, at: [[16, 1]] }));
    update(r, 'key member set', fd, u32(0), value(ids, { name: 'bpfkit_sc1', progs, at: [[DATA + (ids.offsets[KEY] ?? 0), 1]] }));
    update(r, 'unknown tcp flags', fd, u32(0), value(ids, { name: 'bpfkit_sc1', progs, flags: 0x100 }));
    update(r, 'empty name', fd, u32(0), value(ids, { progs }));
    update(r, 'name taken (reno)', fd, u32(0), value(ids, { name: 'reno', progs }));
    update(r, 'no ssthresh', fd, u32(0), value(ids, { name: 'bpfkit_sc1', progs: { [CONG_AVOID]: congAvoid, [UNDO_CWND]: undo } }));
    update(r, 'ssthresh program in the cong_avoid slot', fd, u32(0), value(ids, { name: 'bpfkit_sc1', progs: { ...progs, [CONG_AVOID]: ssthresh } }));
    update(r, 'a map fd in a slot', fd, u32(0), value(ids, { name: 'bpfkit_sc1', progs: { ...progs, [CONG_AVOID]: fd } }));
    update(r, 'fd 9999 in a slot', fd, u32(0), value(ids, { name: 'bpfkit_sc1', progs: { ...progs, [CONG_AVOID]: 9999 } }));
    lookupSummary(r, 'lookup after the refused updates', fd, ids);
    update(r, 'register', fd, u32(0), value(ids, { name: 'bpfkit_sc1', flags: 1, progs }));
    lookupSummary(r, 'lookup registered', fd, ids);
    update(r, 'register again', fd, u32(0), good);
    const second = structOpsMap(r, 'create a second map', ids, btf);
    if (second !== undefined) update(r, 'second map: same name', second, u32(0), good);
    del(r, 'delete key 1', fd, u32(1));
    del(r, 'unregister', fd, u32(0));
    lookupSummary(r, 'lookup after unregister', fd, ids);
    del(r, 'unregister again', fd, u32(0));
    update(r, 'update after unregister', fd, u32(0), good);
    if (second !== undefined) update(r, 'second map: the name is free again', second, u32(0), good);
    if (second !== undefined) del(r, 'second map: unregister', second, u32(0));
    const link = structOpsMap(r, 'create a BPF_F_LINK map', ids, btf, { map_flags: BPF_F_LINK });
    if (link === undefined) return;
    update(r, 'BPF_F_LINK: update', link, u32(0), value(ids, { name: 'bpfkit_sc2', progs }));
    lookupSummary(r, 'BPF_F_LINK: lookup', link, ids);
    update(r, 'BPF_F_LINK: update again', link, u32(0), value(ids, { name: 'bpfkit_sc2', progs }));
    del(r, 'BPF_F_LINK: delete', link, u32(0));
  },
};

/** `bpf_tcp_ca_get_func_proto`: which helpers a callback may call (setsockopt/getsockopt not in `release`). */
const HELPERS: SyscallCase = {
  name: 'struct_ops: helpers of tcp_congestion_ops callbacks',
  run(r) {
    const ids = kernelIds(r);
    if (ids === undefined) return;
    // ktime_get_ns, get_current_pid_tgid, setsockopt, getsockopt, sk_storage_get/delete, tcp_send_ack, get_current_task_btf, ktime_get_coarse_ns, skb_load_bytes
    const helpers = [5, 14, 49, 57, 107, 108, 116, 158, 160, 26];
    for (const [member, idx] of [['cong_avoid', CONG_AVOID], ['release', 17]] as const) {
      const available: Record<string, boolean> = {};
      for (const id of helpers) {
        const insns = Uint8Array.from([...insn(0x85, 0, 0, 0, id), ...movImm(0, 0), ...exit()]);
        const logSize = 8192;
        const log = r.mem(logSize);
        try {
          r.close(r.own(r.sys.bpf(BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
            prog_type: P.BPF_PROG_TYPE_STRUCT_OPS, insn_cnt: insns.length / 8, insns: r.mem(insns), license: r.mem(GPL),
            expected_attach_type: idx, attach_btf_id: ids.ops, log_level: 1, log_size: logSize, log_buf: log,
          }))));
          available[String(id)] = true;
        } catch {
          // Refused for its arguments (available) or as unknown to this program type (not).
          available[String(id)] = !/unknown func|cannot use helper|program of this type/.test(new TextDecoder().decode(r.read(log, logSize)));
        }
      }
      r.record(`${member}: helpers available`, available);
    }
  },
};

/** `check_attach_btf_id` before the struct_ops check: which program types may be sleepable, and syscall programs must be. */
const SLEEPABLE: SyscallCase = {
  name: 'prog load: BPF_F_SLEEPABLE by program type',
  run(r) {
    const cases: readonly [string, number, number][] = [
      ['xdp sleepable', P.BPF_PROG_TYPE_XDP, 16], ['socket_filter sleepable', P.BPF_PROG_TYPE_SOCKET_FILTER, 16],
      ['tracepoint sleepable', P.BPF_PROG_TYPE_TRACEPOINT, 16], ['kprobe sleepable', P.BPF_PROG_TYPE_KPROBE, 16],
      ['syscall not sleepable', P.BPF_PROG_TYPE_SYSCALL, 0], ['syscall sleepable', P.BPF_PROG_TYPE_SYSCALL, 16],
    ];
    for (const [step, type, flags] of cases) {
      const logSize = 4096;
      const log = r.mem(logSize);
      const insns = ret(0);
      const fd = r.call(step, BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
        prog_type: type, insn_cnt: insns.length / 8, insns: r.mem(insns), license: r.mem(GPL), prog_flags: flags, log_level: 1, log_size: logSize, log_buf: log,
      }), (res): Record<string, Observed> => {
        if (res >= 0) return {};
        const text = new TextDecoder().decode(r.read(log, logSize));
        return { log: text.slice(0, Math.max(0, text.indexOf('\n'))) };
      });
      if (fd !== undefined) r.own(fd);
    }
  },
};

/** struct_ops maps and programs against `tcp_congestion_ops`, and the sleepable rule before them, recorded on Linux 6.18. */
export const STRUCT_OPS_CASES: readonly SyscallCase[] = [CREATE, LOAD, UPDATE, HELPERS, SLEEPABLE];
