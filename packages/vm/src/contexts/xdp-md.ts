import type { VmArena } from '@bpfkit/kernel-api';
import { PacketContext, registerPacket } from './packets.js';

/** Offsets of `struct xdp_md`. */
export const XdpMd = { data: 0, data_end: 4, data_meta: 8, ingress_ifindex: 12, rx_queue_index: 16, egress_ifindex: 20 } as const;
/** `sizeof(struct xdp_md)`. */
export const XDP_MD_SIZE = 24;
/** `XDP_PACKET_HEADROOM`. */
export const XDP_PACKET_HEADROOM = 256;
/** `sizeof(struct xdp_frame)` on x86-64: `bpf_xdp_adjust_head`/`_meta` keep it free at the buffer's start. */
export const XDP_FRAME_SIZE = 40;
/** `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))` on x86-64: the tailroom no XDP packet may grow into. */
export const SKB_SHARED_INFO_SIZE = 320;

/** How to build an XDP context. */
export interface XdpInit {
  /** The linear part of the frame. */
  readonly linear: Uint8Array;
  /** Bytes after the linear part (frags), as the kernel splits them into pages. */
  readonly frags?: readonly Uint8Array[];
  /** `frame_sz`: the buffer's size, shared info included (4096 for a test run). */
  readonly frameSize: number;
  /** Bytes from `data_hard_start` to `data_meta`. */
  readonly headroom: number;
  /** Metadata bytes before `data` (from `ctx_in.data`). */
  readonly metaLen: number;
  readonly ingressIfindex: number;
  readonly rxQueueIndex: number;
}

/**
 * An `xdp_buff` in the arena: one `frame_sz` buffer with the frame at
 * `headroom + metaLen`, and an `xdp_md` whose `data`, `data_end` and
 * `data_meta` are arena addresses.
 *
 * @example
 * const xdp = createXdpContext(arena, { linear: frame, frameSize: 4096, headroom: 256, metaLen: 0, ingressIfindex: 1, rxQueueIndex: 0 });
 */
export function createXdpContext(arena: VmArena, init: XdpInit): PacketContext {
  const head = arena.alloc(init.frameSize);
  let ctx: number;
  try {
    ctx = arena.alloc(XDP_MD_SIZE);
  } catch (e) {
    arena.free(head);
    throw e;
  }
  const meta = head + init.headroom;
  const data = meta + init.metaLen;
  arena.bytes.set(init.linear, meta);
  const pkt = new PacketContext(arena, 'xdp', ctx, { dataOff: XdpMd.data, dataEndOff: XdpMd.data_end, dataMetaOff: XdpMd.data_meta }, head, head + init.frameSize - SKB_SHARED_INFO_SIZE);
  pkt.frags = init.frags === undefined ? [] : [...init.frags];
  pkt.bufSize = init.frameSize;
  pkt.setBounds(meta, data, meta + init.linear.length);
  arena.view.setUint32(ctx + XdpMd.ingress_ifindex, init.ingressIfindex, true);
  arena.view.setUint32(ctx + XdpMd.rx_queue_index, init.rxQueueIndex, true);
  registerPacket(pkt);
  return pkt;
}
