import type { VmArena } from '@bpfkit/kernel-api';
import { PacketContext, registerPacket } from './packets.js';
import { SK_BUFF_SIZE, SkBuff } from './sk-buff.js';

/** Offsets of `struct bpf_flow_keys`. */
export const FlowKeys = {
  nhoff: 0, thoff: 2, addr_proto: 4, is_frag: 6, is_first_frag: 7, is_encap: 8, ip_proto: 9, n_proto: 10,
  sport: 12, dport: 14, ipv4_src: 16, ipv4_dst: 20, ipv6_src: 16, ipv6_dst: 32, flags: 48, flow_label: 52,
} as const;
/** `sizeof(struct bpf_flow_keys)`. */
export const FLOW_KEYS_SIZE = 56;

/** How to build a flow dissector context. */
export interface FlowDissectorInit {
  /** The frame; `data` points at its first byte. */
  readonly frame: Uint8Array;
  /** `flow_keys->n_proto` (big-endian, as read from the frame). */
  readonly nProto: number;
  /** `flow_keys->nhoff`/`thoff`: where the network header starts. */
  readonly nhoff: number;
  /** `flow_keys->flags` (`BPF_FLOW_DISSECTOR_F_*`). */
  readonly flags: number;
}

/**
 * `struct bpf_flow_dissector` as a program sees it through `__sk_buff`:
 * `data`/`data_end` around the frame and `flow_keys` pointing at a zeroed
 * `bpf_flow_keys` with `n_proto`, `nhoff`, `thoff` and `flags` set, as
 * `bpf_flow_dissect` passes them. There is no skb behind it (a test run has
 * none), so `bpf_skb_load_bytes` fails with -EFAULT as in the kernel.
 *
 * @example
 * const fd = createFlowDissectorContext(arena, { frame, nProto: 0x0008, nhoff: 14, flags: 0 });
 * const keys = flowKeysAddr(fd);
 */
export function createFlowDissectorContext(arena: VmArena, init: FlowDissectorInit): PacketContext {
  const head = arena.alloc(Math.max(init.frame.length, 1));
  const ctx = arena.alloc(SK_BUFF_SIZE);
  const keys = arena.alloc(FLOW_KEYS_SIZE);
  arena.bytes.set(init.frame, head);
  const pkt = new PacketContext(arena, 'flow-dissector', ctx, { dataOff: SkBuff.data, dataEndOff: SkBuff.data_end }, head, head + init.frame.length);
  pkt.extraAllocations.push(keys);
  pkt.setBounds(head, head, head + init.frame.length);
  const v = arena.view;
  v.setUint32(ctx + SkBuff.flow_keys, keys, true);
  resetFlowKeys(pkt, init);
  registerPacket(pkt);
  return pkt;
}

/** The `bpf_flow_keys` address of a flow dissector context. @example flowKeysAddr(fd) */
export function flowKeysAddr(pkt: PacketContext): number {
  return pkt.arena.view.getUint32(pkt.ctx + SkBuff.flow_keys, true);
}

/** Zeroes the keys and sets what `bpf_flow_dissect` passes in, before each run. @example resetFlowKeys(fd, init) */
export function resetFlowKeys(pkt: PacketContext, init: Pick<FlowDissectorInit, 'nProto' | 'nhoff' | 'flags'>): void {
  const keys = flowKeysAddr(pkt);
  const v = pkt.arena.view;
  pkt.arena.bytes.fill(0, keys, keys + FLOW_KEYS_SIZE);
  v.setUint16(keys + FlowKeys.n_proto, init.nProto, true);
  v.setUint16(keys + FlowKeys.nhoff, init.nhoff, true);
  v.setUint16(keys + FlowKeys.thoff, init.nhoff, true);
  v.setUint32(keys + FlowKeys.flags, init.flags, true);
}
