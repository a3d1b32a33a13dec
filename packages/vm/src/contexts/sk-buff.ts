import { isBpfError, type VmArena } from '@bpfkit/kernel-api';
import { ETH_HLEN } from './eth.js';
import { PacketContext, registerPacket } from './packets.js';

/**
 * Offsets of `struct __sk_buff` (include/uapi/linux/bpf.h, x86-64), the
 * context socket filters, tc, cgroup_skb, lwt and flow dissector programs see.
 */
export const SkBuff = {
  len: 0, pkt_type: 4, mark: 8, queue_mapping: 12, protocol: 16, vlan_present: 20, vlan_tci: 24, vlan_proto: 28,
  priority: 32, ingress_ifindex: 36, ifindex: 40, tc_index: 44, cb: 48, hash: 68, tc_classid: 72, data: 76,
  data_end: 80, napi_id: 84, family: 88, remote_ip4: 92, local_ip4: 96, remote_ip6: 100, local_ip6: 116,
  remote_port: 132, local_port: 136, data_meta: 140, flow_keys: 144, tstamp: 152, wire_len: 160, gso_segs: 164,
  sk: 168, gso_size: 176, tstamp_type: 180, hwtstamp: 184,
} as const;
/** `NET_SKB_PAD` on x86-64 (a cache line): head expansions come in these steps. */
const NET_SKB_PAD = 64;

/** `sizeof(struct __sk_buff)`. */
export const SK_BUFF_SIZE = 192;
/** `cb[5]`: the 20 bytes of `qdisc_skb_cb.data` a program may use. */
export const SK_BUFF_CB_SIZE = 20;

/** How to build an skb context. */
export interface SkBuffInit {
  /** The frame, starting at its Ethernet header. */
  readonly frame: Uint8Array;
  /** Bytes reserved before the frame (`NET_SKB_PAD + NET_IP_ALIGN` for a test run). */
  readonly headroom: number;
  /** Bytes reserved after it (`skb_shared_info` in the kernel). */
  readonly tailroom: number;
  /** Offset of `skb->data` in the frame: 0 for tc (the Ethernet header), 14 where `eth_type_trans` pulled it. */
  readonly dataOffset: number;
  /** Initial `__sk_buff` bytes (the checked `ctx_in`); zero where absent. */
  readonly init?: Uint8Array;
}

/**
 * An skb in the arena: the buffer (headroom, frame, tailroom) and a
 * `__sk_buff` whose `data`/`data_end`/`data_meta` hold arena addresses and
 * `len` the bytes from `data` on. The caller fills the other fields.
 *
 * @example
 * const skb = createSkBuffContext(arena, { frame, headroom: 64, tailroom: 320, dataOffset: 14 });
 * arena.view.getUint32(skb.ctx + SkBuff.len, true); // frame.length - 14
 * releasePacketContext(skb);
 */
export function createSkBuffContext(arena: VmArena, init: SkBuffInit): PacketContext {
  const total = init.headroom + init.frame.length + init.tailroom;
  const head = arena.alloc(Math.max(total, 1));
  let ctx: number;
  try {
    ctx = arena.alloc(SK_BUFF_SIZE);
  } catch (e) {
    arena.free(head);
    throw e;
  }
  const bytes = arena.bytes;
  bytes.set(init.frame, head + init.headroom);
  if (init.init !== undefined) bytes.set(init.init.subarray(0, SK_BUFF_SIZE), ctx);
  const pkt = new PacketContext(arena, 'skb', ctx, { dataOff: SkBuff.data, dataEndOff: SkBuff.data_end, dataMetaOff: SkBuff.data_meta, lenOff: SkBuff.len }, head, head + init.headroom + init.frame.length);
  const data = head + init.headroom + init.dataOffset;
  pkt.setBounds(data, data, head + init.headroom + init.frame.length);
  pkt.bufSize = Math.max(total, 1);
  pkt.macOffset = init.headroom;
  pkt.networkOffset = init.headroom + ETH_HLEN;
  registerPacket(pkt);
  return pkt;
}

/**
 * `pskb_expand_head(skb, nhead, ntail)`: moves the buffer to a new
 * allocation with `nhead` more bytes of headroom and `ntail` more of
 * tailroom; the context's pointers follow.
 * Throws `BpfError('ENOMEM')` (from the arena) when there is no room.
 *
 * @example
 * if (skbHeadroom(skb) < 4) skbExpandHead(skb, 64);
 */
export function skbExpandHead(pkt: PacketContext, nhead: number, ntail = 0): void {
  const arena = pkt.arena;
  const head = arena.alloc(pkt.bufSize + nhead + ntail);
  arena.bytes.copyWithin(head + nhead, pkt.head, pkt.head + pkt.bufSize);
  const shift = head + nhead - pkt.head;
  const meta = pkt.dataMeta();
  const data = pkt.data();
  const end = pkt.dataEnd();
  arena.free(pkt.head);
  pkt.head = head;
  pkt.hardEnd += shift;
  pkt.bufSize += nhead + ntail;
  pkt.macOffset += nhead;
  pkt.networkOffset += nhead;
  pkt.setBounds(meta + shift, data + shift, end + shift);
}

/** `skb_tailroom`: bytes after the packet in its buffer. @example skbTailroom(skb) */
export function skbTailroom(pkt: PacketContext): number {
  return pkt.head + pkt.bufSize - pkt.dataEnd();
}

/** `skb_headroom`: bytes before `skb->data`. @example skbHeadroom(skb) */
export function skbHeadroom(pkt: PacketContext): number {
  return pkt.data() - pkt.head;
}

/**
 * `skb_cow_head` / `skb_cow`: makes sure `headroom` bytes are free before
 * `skb->data`, expanding by the missing amount rounded up to `NET_SKB_PAD`.
 * Returns false when the arena has no room (the kernel's -ENOMEM).
 *
 * @example
 * if (!skbCowHead(skb, 4)) return setR0(c, -Errno.ENOMEM);
 */
export function skbCowHead(pkt: PacketContext, headroom: number): boolean {
  const missing = headroom - skbHeadroom(pkt);
  if (missing <= 0) return true;
  try {
    skbExpandHead(pkt, Math.ceil(missing / NET_SKB_PAD) * NET_SKB_PAD);
    return true;
  } catch (e) {
    if (isBpfError(e, 'ENOMEM')) return false;
    throw e;
  }
}
