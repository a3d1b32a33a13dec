import type { VmArena } from '@bpfkit/kernel-api';

/** Where a context keeps its packet pointers (32-bit arena addresses, so a program's 32-bit load of `data` is a usable pointer). */
export interface PacketLayout {
  readonly dataOff: number;
  readonly dataEndOff: number;
  /** Absent where the context has no `data_meta` (flow dissector). */
  readonly dataMetaOff?: number;
  /** `__sk_buff.len`, kept equal to the linear length by helpers that move the bounds. */
  readonly lenOff?: number;
}

/** `skb->ip_summed`: no checksum information (a test run's default). */
export const CHECKSUM_NONE = 0;
/** `skb->ip_summed`: the checksums were verified (`csum_level` counts how many). */
export const CHECKSUM_UNNECESSARY = 1;
/** `skb->ip_summed`: `skb->csum` holds the packet's checksum (`BPF_F_TEST_SKB_CHECKSUM_COMPLETE`). */
export const CHECKSUM_COMPLETE = 2;

/** What kind of packet a context holds: helpers that exist per family (`bpf_skb_*`, `bpf_xdp_*`) check it. */
export type PacketKind = 'skb' | 'xdp' | 'flow-dissector';

/**
 * The kernel-side view of a packet context (`struct sk_buff`, `struct
 * xdp_buff`): the buffer around the packet that the context itself does not
 * show. The packet bounds live in the context's own fields, so a program and
 * the helpers always agree on them.
 *
 * @example
 * const pkt = packetOf(arena, ctxAddr);
 * pkt?.dataEnd() - pkt?.data(); // the linear length
 */
export class PacketContext {
  /** Bytes past the linear part (XDP frags), kept outside the arena. */
  frags: Uint8Array[] = [];
  /** `skb->ip_summed`: {@link CHECKSUM_NONE} unless the runner says otherwise. */
  ipSummed: number = CHECKSUM_NONE;
  /** `skb->csum` (32-bit, unfolded) while {@link ipSummed} is `CHECKSUM_COMPLETE`. */
  csum = 0;
  /** `skb->csum_level` while {@link ipSummed} is `CHECKSUM_UNNECESSARY`. */
  csumLevel = 0;
  /** Other addresses the packet is known by ({@link registerPacketAlias}). */
  readonly aliases: number[] = [];
  /** Other arena allocations the context owns (flow keys), freed with it. */
  readonly extraAllocations: number[] = [];

  constructor(
    readonly arena: VmArena,
    readonly kind: PacketKind,
    /** The context's address (r1). */
    readonly ctx: number,
    readonly layout: PacketLayout,
    /** Start of the buffer (`data_hard_start`, `skb->head`); an skb's moves when its head is expanded. */
    public head: number,
    /** Last byte + 1 the packet may grow to (`xdp_data_hard_end`, `skb_end_pointer`). */
    public hardEnd: number,
  ) {}

  /** Bytes of the buffer allocation at {@link head}. */
  bufSize = 0;
  /** skb: the MAC and network headers as offsets from {@link head} (`skb->mac_header`, `skb->network_header`). */
  macOffset = 0;
  networkOffset = 0;

  /** @example pkt.data() - pkt.head // headroom */
  data(): number {
    return this.arena.view.getUint32(this.ctx + this.layout.dataOff, true);
  }
  /** @example pkt.dataEnd() - pkt.data() // linear length */
  dataEnd(): number {
    return this.arena.view.getUint32(this.ctx + this.layout.dataEndOff, true);
  }
  /** `data_meta`; `data` where the context has none. @example pkt.data() - pkt.dataMeta() // metadata length */
  dataMeta(): number {
    const off = this.layout.dataMetaOff;
    return off === undefined ? this.data() : this.arena.view.getUint32(this.ctx + off, true);
  }
  /** Moves the packet bounds (and `len` where the context has it). @example pkt.setBounds(meta, data, end) */
  setBounds(meta: number, data: number, end: number): void {
    const v = this.arena.view;
    v.setUint32(this.ctx + this.layout.dataOff, data, true);
    v.setUint32(this.ctx + this.layout.dataEndOff, end, true);
    if (this.layout.dataMetaOff !== undefined) v.setUint32(this.ctx + this.layout.dataMetaOff, meta, true);
    if (this.layout.lenOff !== undefined) v.setUint32(this.ctx + this.layout.lenOff, end - data + this.fragsSize(), true);
  }
  /** Bytes in {@link frags}. @example pkt.fragsSize() */
  fragsSize(): number {
    let n = 0;
    for (const f of this.frags) n += f.length;
    return n;
  }
}

// Helpers get only the context's address; the kernel finds its sk_buff or
// xdp_buff from the same pointer. The table hangs off the arena so that any
// engine and any runner sharing an arena see the same packets.
const tables = new WeakMap<VmArena, Map<number, PacketContext>>();

/**
 * Makes `pkt` findable from its context address by packet helpers.
 *
 * @example
 * registerPacket(pkt); try { prog.run({ r1: pkt.ctx }, env); } finally { unregisterPacket(pkt); }
 */
export function registerPacket(pkt: PacketContext): void {
  let t = tables.get(pkt.arena);
  if (t === undefined) {
    t = new Map<number, PacketContext>();
    tables.set(pkt.arena, t);
  }
  t.set(pkt.ctx, pkt);
}

/**
 * Makes `pkt` findable from another address too: a program that holds the
 * kernel's `struct sk_buff *` (netfilter's `ctx->skb`) passes that to the
 * same helpers.
 *
 * @example
 * registerPacketAlias(pkt, shadowSkb); // bpf_dynptr_from_skb(ctx->skb, …) finds pkt
 */
export function registerPacketAlias(pkt: PacketContext, addr: number): void {
  tables.get(pkt.arena)?.set(addr, pkt);
  pkt.aliases.push(addr);
}

/** Forgets a packet context (and its aliases). @example unregisterPacket(pkt) */
export function unregisterPacket(pkt: PacketContext): void {
  const t = tables.get(pkt.arena);
  t?.delete(pkt.ctx);
  for (const a of pkt.aliases) t?.delete(a);
}

/**
 * The packet whose context is at `ctx`, or undefined.
 *
 * @example
 * const pkt = packetOf(c.env.arena, ctxAddr);
 */
export function packetOf(arena: VmArena, ctx: number): PacketContext | undefined {
  return tables.get(arena)?.get(ctx);
}
