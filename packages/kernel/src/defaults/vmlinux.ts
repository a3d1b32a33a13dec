import { existsSync, readFileSync } from 'node:fs';
import { BtfBuilder, BtfFuncLinkage, BtfIntEncoding, parseBtf, type Btf, type BtfMember } from '@bpfkit/btf';
import { BpfMapTypeEnumerators } from '@bpfkit/uapi';
import { addGraphKfuncs } from './vmlinux-graph.js';
import { addStructOpsTypes } from './vmlinux-struct-ops.js';

/** Where Linux exposes its own BTF. */
export const HOST_VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

let builtin: Btf | undefined;
const fromFiles = new Map<string, Btf>();

type Member = Omit<BtfMember, 'nameOff'>;

/** A member at a byte offset (`bits` for a bitfield, which needs a kflag struct). */
const at = (name: string, type: number, byteOffset: number, bits = 0): Member => ({ name, type, bitsOffset: byteOffset * 8, bitfieldSize: bits });

function struct(b: BtfBuilder, name: string, size: number, members: readonly Member[]): number {
  return b.add({ kind: 'STRUCT', name, size, kflag: members.some((m) => m.bitfieldSize > 0), members });
}

/** The integer and typedef names of x86-64 vmlinux, as pahole writes them. */
function scalars(b: BtfBuilder) {
  const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 32 });
  const uint = b.add({ kind: 'INT', name: 'unsigned int', size: 4, encoding: 0, bitsOffset: 0, bits: 32 });
  const char = b.add({ kind: 'INT', name: 'char', size: 1, encoding: 0, bitsOffset: 0, bits: 8 });
  const uchar = b.add({ kind: 'INT', name: 'unsigned char', size: 1, encoding: 0, bitsOffset: 0, bits: 8 });
  const ushort = b.add({ kind: 'INT', name: 'short unsigned int', size: 2, encoding: 0, bitsOffset: 0, bits: 16 });
  const long = b.add({ kind: 'INT', name: 'long int', size: 8, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 64 });
  const ulong = b.add({ kind: 'INT', name: 'long unsigned int', size: 8, encoding: 0, bitsOffset: 0, bits: 64 });
  const llong = b.add({ kind: 'INT', name: 'long long int', size: 8, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 64 });
  const ullong = b.add({ kind: 'INT', name: 'long long unsigned int', size: 8, encoding: 0, bitsOffset: 0, bits: 64 });
  const typedef = (name: string, type: number): number => b.add({ kind: 'TYPEDEF', name, type, kflag: false });
  const u8 = typedef('__u8', uchar);
  const u16 = typedef('__u16', ushort);
  const u32 = typedef('u32', typedef('__u32', uint));
  const u64 = typedef('u64', typedef('__u64', ullong));
  const s64 = typedef('s64', typedef('__s64', llong));
  const pidT = typedef('pid_t', typedef('__kernel_pid_t', int));
  const uidT = typedef('uid_t', typedef('__kernel_uid32_t', uint));
  const gidT = typedef('gid_t', typedef('__kernel_gid32_t', uint));
  return { int, uint, char, uchar, ushort, long, ulong, llong, u8, u16, u32, u64, s64, pidT, uidT, gidT, typedef };
}

/**
 * A small vmlinux BTF for kernels booted where the host has none: the types CO-RE
 * programs and the examples read — `task_struct` (pid, tgid, comm, real_parent, parent,
 * flags, cred, mm…), the `sched_process_exec` and `sys_enter` tracepoint records,
 * x86-64 `pt_regs`, `sk_buff`, `file`/`path`, `bpf_map`, `cred`, `mm_struct`,
 * `enum bpf_map_type` — at the offsets and sizes of Linux 6.18 on x86-64, so a CO-RE
 * relocation against it patches the same offsets as on a real kernel; plus attach targets
 * for fentry (`bpf_fentry_test1`), LSM (`bpf_lsm_file_open`) and tp_btf
 * (`btf_trace_sched_process_exec`); the struct_ops type `tcp_congestion_ops` with its map
 * value `bpf_struct_ops_tcp_congestion_ops`. Only the listed members are present.
 *
 * @example
 * const vm = builtinVmlinuxBtf();
 * const task = vm.findAll('task_struct', 'STRUCT')[0];
 */
export function builtinVmlinuxBtf(): Btf {
  if (builtin !== undefined) return builtin;
  const b = new BtfBuilder();
  const s = scalars(b);
  const ptr = (type: number): number => b.add({ kind: 'PTR', name: '', type });
  const array = (type: number, nelems: number): number => b.add({ kind: 'ARRAY', name: '', type, indexType: s.int, nelems });
  const char16 = array(s.char, 16);

  const kuid = s.typedef('kuid_t', struct(b, '', 4, [at('val', s.uidT, 0)]));
  const kgid = s.typedef('kgid_t', struct(b, '', 4, [at('val', s.gidT, 0)]));
  const cred = struct(b, 'cred', 184, [at('uid', kuid, 8), at('gid', kgid, 12), at('suid', kuid, 16), at('sgid', kgid, 20), at('euid', kuid, 24), at('egid', kgid, 28)]);
  const credPtr = ptr(b.add({ kind: 'CONST', name: '', type: cred, kflag: false }));
  const mm = struct(b, 'mm_struct', 1472, [
    at('start_code', s.ulong, 432), at('end_code', s.ulong, 440), at('start_stack', s.ulong, 480),
    at('arg_start', s.ulong, 488), at('arg_end', s.ulong, 496), at('env_start', s.ulong, 504), at('env_end', s.ulong, 512),
  ]);
  const mmPtr = ptr(mm);
  // The pointer is added right before the struct it points to, so it can name the next id.
  const taskPtr = b.add({ kind: 'PTR', name: '', type: b.nextId + 1 });
  const task = struct(b, 'task_struct', 3264, [
    at('__state', s.uint, 24), at('flags', s.uint, 44), at('prio', s.int, 108), at('mm', mmPtr, 1136),
    at('exit_code', s.int, 1164), at('pid', s.pidT, 1264), at('tgid', s.pidT, 1268), at('real_parent', taskPtr, 1280),
    at('parent', taskPtr, 1288), at('group_leader', taskPtr, 1328), at('start_time', s.u64, 1552),
    at('real_cred', credPtr, 1728), at('cred', credPtr, 1736), at('comm', char16, 1752),
  ]);
  if (task !== taskPtr + 1) throw new Error('builtinVmlinuxBtf: task_struct id');

  const entry = struct(b, 'trace_entry', 8, [at('type', s.ushort, 0), at('flags', s.uchar, 2), at('preempt_count', s.uchar, 3), at('pid', s.int, 4)]);
  const flexChar = array(s.char, 0);
  struct(b, 'trace_event_raw_sched_process_exec', 20, [
    at('ent', entry, 0), at('__data_loc_filename', s.u32, 8), at('pid', s.pidT, 12), at('old_pid', s.pidT, 16), at('__data', flexChar, 20),
  ]);
  struct(b, 'trace_event_raw_sys_enter', 64, [at('ent', entry, 0), at('id', s.long, 8), at('args', array(s.ulong, 6), 16), at('__data', flexChar, 64)]);

  const regNames = ['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip'];
  const csUnion = b.add({ kind: 'UNION', name: '', size: 8, kflag: false, members: [at('cs', s.u16, 0), at('csx', s.u64, 0)] });
  const ssUnion = b.add({ kind: 'UNION', name: '', size: 8, kflag: false, members: [at('ss', s.u16, 0), at('ssx', s.u64, 0)] });
  struct(b, 'pt_regs', 168, [...regNames.map((n, i) => at(n, s.ulong, i * 8)), at('', csUnion, 136), at('flags', s.ulong, 144), at('sp', s.ulong, 152), at('', ssUnion, 160)]);

  const sk = ptr(struct(b, 'sock', 784, []));
  const dev = ptr(struct(b, 'net_device', 2496, []));
  const be16 = s.typedef('__be16', s.u16);
  const dataT = s.typedef('sk_buff_data_t', s.uint);
  const bytePtr = ptr(s.uchar);
  struct(b, 'sk_buff', 224, [
    at('dev', dev, 16), at('sk', sk, 24), at('tstamp', s.typedef('ktime_t', s.s64), 32), at('cb', array(s.char, 48), 40),
    at('len', s.uint, 112), at('data_len', s.uint, 116), at('mac_len', s.u16, 120), at('hdr_len', s.u16, 122), at('queue_mapping', s.u16, 124),
    at('pkt_type', s.u8, 128, 3), at('priority', s.u32, 140), at('skb_iif', s.int, 144), at('hash', s.u32, 148), at('vlan_tci', s.u16, 154),
    at('mark', s.u32, 164), at('protocol', be16, 176), at('transport_header', s.u16, 178), at('network_header', s.u16, 180),
    at('mac_header', s.u16, 182), at('tail', dataT, 184), at('end', dataT, 188), at('head', bytePtr, 192), at('data', bytePtr, 200),
    at('truesize', s.uint, 208),
  ]);

  const path = struct(b, 'path', 16, [at('mnt', ptr(struct(b, 'vfsmount', 32, [])), 0), at('dentry', ptr(struct(b, 'dentry', 192, [])), 8)]);
  const file = struct(b, 'file', 184, [
    at('f_mode', s.typedef('fmode_t', s.uint), 4), at('private_data', ptr(0), 24), at('f_inode', ptr(struct(b, 'inode', 616, [])), 32),
    at('f_flags', s.uint, 40), at('f_cred', credPtr, 48), at('f_path', b.add({ kind: 'CONST', name: '', type: path, kflag: false }), 64),
    at('f_pos', s.typedef('loff_t', s.llong), 112),
  ]);
  const filePtr = ptr(file);

  const mapType = b.add({
    kind: 'ENUM', name: 'bpf_map_type', size: 4, signed: false,
    values: BpfMapTypeEnumerators.map(([name, value]) => ({ name, value })),
  });
  const mapPtr = b.add({ kind: 'PTR', name: '', type: b.nextId + 1 });
  struct(b, 'bpf_map', 296, [
    at('inner_map_meta', mapPtr, 48), at('map_type', mapType, 64), at('key_size', s.u32, 68), at('value_size', s.u32, 72),
    at('max_entries', s.u32, 76), at('map_flags', s.u32, 88), at('id', s.u32, 92), at('name', char16, 136),
  ]);
  struct(b, 'cgroup', 2240, [at('level', s.int, 216)]);

  const test1 = b.add({ kind: 'FUNC_PROTO', name: '', type: s.int, params: [{ name: 'a', type: s.int }] });
  b.add({ kind: 'FUNC', name: 'bpf_fentry_test1', type: test1, linkage: BtfFuncLinkage.GLOBAL });
  const fileOpen = b.add({ kind: 'FUNC_PROTO', name: '', type: s.int, params: [{ name: 'file', type: filePtr }] });
  b.add({ kind: 'FUNC', name: 'bpf_lsm_file_open', type: fileOpen, linkage: BtfFuncLinkage.GLOBAL });
  const binprm = ptr(struct(b, 'linux_binprm', 408, []));
  const execProto = b.add({ kind: 'FUNC_PROTO', name: '', type: 0, params: [{ name: '', type: ptr(0) }, { name: '', type: taskPtr }, { name: '', type: s.pidT }, { name: '', type: binprm }] });
  s.typedef('btf_trace_sched_process_exec', ptr(execProto));
  addStructOpsTypes(b, { int: s.int, u8: s.u8, u32: s.u32, ulong: s.ulong, char16, sockPtr: sk });
  addIterTargets(b, { int: s.int, u64: s.u64, taskPtr, mapPtr });
  addGraphKfuncs(b, { int: s.int, u64: s.u64 });
  builtin = parseBtf(b.encode());
  return builtin;
}

/**
 * The iterator targets a BPF iterator program names in its `attach_btf_id`: the
 * `bpf_iter_<target>` functions of `task`, `bpf_map` and `bpf_prog`, whose arguments are
 * the iterator's context (`struct bpf_iter_meta *meta` with the `seq_file` to write to,
 * then the object visited). Added last, so earlier type ids do not move.
 */
function addIterTargets(b: BtfBuilder, t: { int: number; u64: number; taskPtr: number; mapPtr: number }): void {
  const ptr = (type: number): number => b.add({ kind: 'PTR', name: '', type });
  const seqPtr = ptr(struct(b, 'seq_file', 120, []));
  const metaPtr = ptr(struct(b, 'bpf_iter_meta', 24, [at('seq', seqPtr, 0), at('session_id', t.u64, 8), at('seq_num', t.u64, 16)]));
  const progPtr = ptr(struct(b, 'bpf_prog', 72, []));
  for (const [target, param, objPtr] of [['task', 'task', t.taskPtr], ['bpf_map', 'map', t.mapPtr], ['bpf_prog', 'prog', progPtr]] as const) {
    const proto = b.add({ kind: 'FUNC_PROTO', name: '', type: t.int, params: [{ name: 'meta', type: metaPtr }, { name: param, type: objPtr }] });
    b.add({ kind: 'FUNC', name: `bpf_iter_${target}`, type: proto, linkage: BtfFuncLinkage.GLOBAL });
  }
}

/**
 * The host's vmlinux BTF (`/sys/kernel/btf/vmlinux`, parsed once per process),
 * so type ids match the machine's kernel — e.g. to compare with it through
 * `@bpfkit/linux`; {@link builtinVmlinuxBtf} where the host has none. A file
 * that is there but does not parse throws the parser's `BpfError`.
 *
 * @example
 * const kernel = createDefaultKernel({ vmlinuxBtf: () => hostVmlinuxBtf() });
 */
export function hostVmlinuxBtf(path = HOST_VMLINUX_BTF): Btf {
  const cached = fromFiles.get(path);
  if (cached !== undefined) return cached;
  if (!existsSync(path)) return builtinVmlinuxBtf();
  const btf = parseBtf(readFileSync(path));
  fromFiles.set(path, btf);
  return btf;
}
