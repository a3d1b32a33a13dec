import { type PacketContext, unregisterPacket } from './packets.js';
import { freeSkStorage } from './sk-storage.js';

/**
 * Frees a packet context built by one of the `create*Context` builders: its
 * buffer, its context and (flow dissector) its flow keys.
 *
 * @example
 * releasePacketContext(skb);
 */
export function releasePacketContext(pkt: PacketContext): void {
  unregisterPacket(pkt);
  for (const addr of pkt.extraAllocations) {
    // A socket going away takes its local storage with it (bpf_sk_storage_free).
    freeSkStorage(pkt.arena, addr);
    pkt.arena.free(addr);
  }
  pkt.arena.free(pkt.ctx);
  pkt.arena.free(pkt.head);
}
