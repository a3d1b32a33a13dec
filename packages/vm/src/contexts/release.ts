import { type PacketContext, unregisterPacket } from './packets.js';

/**
 * Frees a packet context built by one of the `create*Context` builders: its
 * buffer, its context and (flow dissector) its flow keys.
 *
 * @example
 * releasePacketContext(skb);
 */
export function releasePacketContext(pkt: PacketContext): void {
  unregisterPacket(pkt);
  for (const addr of pkt.extraAllocations) pkt.arena.free(addr);
  pkt.arena.free(pkt.ctx);
  pkt.arena.free(pkt.head);
}
