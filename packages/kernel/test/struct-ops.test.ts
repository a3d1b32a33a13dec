import test from 'ava';
import { encodeBtf, parseBtf } from '@bpfkit/btf';
import type { Task } from '@bpfkit/kernel-api';
import { builtinVmlinuxBtf, createDefaultKernel } from '@bpfkit/kernel/defaults';
import { insn } from '@bpfkit/kernel/syscall-cases';
import { BPF_F_LINK, BpfCmd, BpfMapType, BpfProgType, encodeAttrGroup, encodeMapElemAttr, encodeProgLoadAttr } from '@bpfkit/uapi';
import { createMap, errnoOf, u32 } from './bpf-calls.js';

const CC = '/proc/sys/net/ipv4/tcp_available_congestion_control';
const vmlinux = parseBtf(encodeBtf(builtinVmlinuxBtf()));
const opsId = vmlinux.byName('tcp_congestion_ops', 'STRUCT') ?? 0;
const valueId = vmlinux.byName('bpf_struct_ops_tcp_congestion_ops', 'STRUCT') ?? 0;
/** Member index and offset in 6.18's tcp_congestion_ops; `data` starts at 64 in the value. */
const SLOTS = { ssthresh: [0, 0], cong_avoid: [1, 8], undo_cwnd: [8, 64] } as const;

function loadOp(t: Task, member: number, ret: boolean): number {
  const insns = Uint8Array.from([...(ret ? insn(0xb7, 0, 0, 0, 2) : []), ...insn(0x95, 0, 0, 0, 0)]);
  return t.bpf(BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
    prog_type: BpfProgType.BPF_PROG_TYPE_STRUCT_OPS, insn_cnt: insns.length / 8, insns: t.memory.alloc(insns),
    license: t.memory.alloc(new TextEncoder().encode('GPL\0')), expected_attach_type: member, attach_btf_id: opsId,
  }));
}

function tcpCa(t: Task, name: string, flags = 0): number {
  const btf = t.bpf(BpfCmd.BPF_BTF_LOAD, encodeAttrGroup('btf_load', { btf: t.memory.alloc(encodeBtf(builtinVmlinuxBtf())), btf_size: encodeBtf(builtinVmlinuxBtf()).length }));
  const map = createMap(t, { map_type: BpfMapType.BPF_MAP_TYPE_STRUCT_OPS, key_size: 4, value_size: 256, max_entries: 1, map_flags: flags, btf_fd: btf, btf_vmlinux_value_type_id: valueId });
  const value = new Uint8Array(256);
  const dv = new DataView(value.buffer);
  value.set(new TextEncoder().encode(name), 64 + 88);
  for (const [slot, [index, offset]] of Object.entries(SLOTS)) dv.setBigUint64(64 + offset, BigInt(loadOp(t, index, slot !== 'cong_avoid')), true);
  t.bpf(BpfCmd.BPF_MAP_UPDATE_ELEM, encodeMapElemAttr({ map_fd: map, key: t.memory.alloc(u32(0)), value: t.memory.alloc(value) }));
  return map;
}

test('a registered congestion control is listed in /proc/sys/net/ipv4 until its map is deleted', (t) => {
  const k = createDefaultKernel();
  t.is(k.init.readFile(CC), 'reno cubic\n');
  const map = tcpCa(k.init, 'bpfkit_cc');
  t.is(k.init.readFile(CC), 'reno cubic bpfkit_cc\n');
  t.is(errnoOf(() => tcpCa(k.init, 'bpfkit_cc')), 'EEXIST');
  k.init.bpf(BpfCmd.BPF_MAP_DELETE_ELEM, encodeMapElemAttr({ map_fd: map, key: k.init.memory.alloc(u32(0)) }));
  t.is(k.init.readFile(CC), 'reno cubic\n');
  t.is(errnoOf(() => k.init.bpf(BpfCmd.BPF_MAP_DELETE_ELEM, encodeMapElemAttr({ map_fd: map, key: k.init.memory.alloc(u32(0)) }))), 'EINPROGRESS');
});

test('a BPF_F_LINK map is ready after its update, not registered; programs in its slots stay held until it is freed', (t) => {
  const k = createDefaultKernel();
  const map = tcpCa(k.init, 'bpfkit_ln', BPF_F_LINK);
  t.is(k.init.readFile(CC), 'reno cubic\n');
  const out = k.init.memory.alloc(new Uint8Array(256));
  k.init.bpf(BpfCmd.BPF_MAP_LOOKUP_ELEM, encodeMapElemAttr({ map_fd: map, key: k.init.memory.alloc(u32(0)), value: out }));
  const v = new DataView(k.init.memory.read(out, 256).buffer);
  t.is(v.getUint32(4, true), 3, 'BPF_STRUCT_OPS_STATE_READY');
  t.not(v.getBigUint64(64, true), 0n, 'ssthresh slot holds a program id');
});
