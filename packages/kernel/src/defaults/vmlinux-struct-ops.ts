import type { BtfBuilder, BtfMember } from '@bpfkit/btf';

type Member = Omit<BtfMember, 'nameOff'>;

const at = (name: string, type: number, byteOffset: number): Member => ({ name, type, bitsOffset: byteOffset * 8, bitfieldSize: 0 });

/** Ids of the builtin vmlinux types the struct_ops types refer to. */
export interface StructOpsBase {
  readonly int: number;
  readonly u8: number;
  readonly u32: number;
  readonly ulong: number;
  readonly char16: number;
  /** `struct sock *`. */
  readonly sockPtr: number;
}

/**
 * The struct_ops types of Linux 6.18 (x86-64) that the simulated kernel registers:
 * `struct tcp_congestion_ops` with every member at its offset and each callback's
 * prototype, and its map value `struct bpf_struct_ops_tcp_congestion_ops` (the common
 * refcnt/state header, the data at offset 64: the 6.18 value is cache-line aligned).
 * Structs only reached through pointers (`ack_sample`, `rate_sample`, `tcp_cc_info`,
 * `module`) have their size and no members. Appended after the other builtin types,
 * so their ids do not move.
 *
 * @example
 * addStructOpsTypes(b, { int, u8, u32, ulong, char16, sockPtr });
 */
export function addStructOpsTypes(b: BtfBuilder, base: StructOpsBase): void {
  const ptr = (type: number): number => b.add({ kind: 'PTR', name: '', type });
  const constOf = (type: number): number => b.add({ kind: 'CONST', name: '', type, kflag: false });
  const struct = (name: string, size: number, members: readonly Member[]): number =>
    b.add({ kind: 'STRUCT', name, size, kflag: false, members });
  const typedef = (name: string, type: number): number => b.add({ kind: 'TYPEDEF', name, type, kflag: false });
  const proto = (ret: number, params: readonly number[]): number =>
    ptr(b.add({ kind: 'FUNC_PROTO', name: '', type: ret, params: params.map((type) => ({ name: '', type })) }));
  const sk = base.sockPtr;

  const u8 = typedef('u8', base.u8);
  const sizeT = typedef('size_t', typedef('__kernel_size_t', base.ulong));
  const event = b.add({
    kind: 'ENUM', name: 'tcp_ca_event', size: 4, signed: false,
    values: ['TX_START', 'CWND_RESTART', 'COMPLETE_CWR', 'LOSS', 'ECN_NO_CE', 'ECN_IS_CE'].map((n, value) => ({ name: `CA_EVENT_${n}`, value })),
  });
  const ackSample = constOf(struct('ack_sample', 12, []));
  const rateSample = constOf(struct('rate_sample', 72, []));
  const ccInfo = b.add({ kind: 'UNION', name: 'tcp_cc_info', size: 20, kflag: false, members: [] });
  const moduleT = struct('module', 768, []);
  const listPtr = b.add({ kind: 'PTR', name: '', type: b.nextId + 1 });
  const list = struct('list_head', 16, [at('next', listPtr, 0), at('prev', listPtr, 8)]);

  const u32OfSk = proto(base.u32, [sk]);
  const voidOfSk = proto(0, [sk]);
  const tcp = struct('tcp_congestion_ops', 192, [
    at('ssthresh', u32OfSk, 0),
    at('cong_avoid', proto(0, [sk, base.u32, base.u32]), 8),
    at('set_state', proto(0, [sk, u8]), 16),
    at('cwnd_event', proto(0, [sk, event]), 24),
    at('in_ack_event', proto(0, [sk, base.u32]), 32),
    at('pkts_acked', proto(0, [sk, ptr(ackSample)]), 40),
    at('min_tso_segs', u32OfSk, 48),
    at('cong_control', proto(0, [sk, base.u32, base.int, ptr(rateSample)]), 56),
    at('undo_cwnd', u32OfSk, 64),
    at('sndbuf_expand', u32OfSk, 72),
    at('get_info', proto(sizeT, [sk, base.u32, ptr(base.int), ptr(ccInfo)]), 80),
    at('name', base.char16, 88),
    at('owner', ptr(moduleT), 104),
    at('list', list, 112),
    at('key', base.u32, 128),
    at('flags', base.u32, 132),
    at('init', voidOfSk, 136),
    at('release', voidOfSk, 144),
  ]);

  const atomic = typedef('atomic_t', struct('', 4, [at('counter', base.int, 0)]));
  const refcount = typedef('refcount_t', struct('refcount_struct', 4, [at('refs', atomic, 0)]));
  const state = b.add({
    kind: 'ENUM', name: 'bpf_struct_ops_state', size: 4, signed: false,
    values: [['INIT', 0], ['INUSE', 1], ['TOBEFREE', 2], ['READY', 3]].map(([n, value]) => ({ name: `BPF_STRUCT_OPS_STATE_${String(n)}`, value: Number(value) })),
  });
  const common = struct('bpf_struct_ops_common_value', 8, [at('refcnt', refcount, 0), at('state', state, 4)]);
  struct('bpf_struct_ops_tcp_congestion_ops', 256, [at('common', common, 0), at('data', tcp, 64)]);
}

