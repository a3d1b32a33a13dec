/** `ETH_HLEN`. */
export const ETH_HLEN = 14;
/** `ETH_P_IP` (host order). */
export const ETH_P_IP = 0x0800;
/** `ETH_P_IPV6` (host order). */
export const ETH_P_IPV6 = 0x86dd;
// ETH_P_802_3 / ETH_P_802_2: what eth_type_trans calls frames with a length instead of an EtherType.
const ETH_P_802_3 = 0x0001;
const ETH_P_802_2 = 0x0004;
const ETH_P_802_3_MIN = 0x0600;

/** `PACKET_HOST` … `PACKET_OTHERHOST`: `skb->pkt_type`. */
export const PacketType = { PACKET_HOST: 0, PACKET_BROADCAST: 1, PACKET_MULTICAST: 2, PACKET_OTHERHOST: 3 } as const;

/** What `eth_type_trans` decides about a frame. */
export interface EthTypeTrans {
  /** `skb->protocol` in host order (`ETH_P_IP`…); store it big-endian. */
  readonly protocol: number;
  readonly pktType: number;
}

/** A device's link-layer addresses. */
export interface EthDevice {
  readonly addr: Uint8Array;
  readonly broadcast: Uint8Array;
}

/** The loopback device: both its address and its broadcast address are all zeros. */
export const LOOPBACK_DEVICE: EthDevice = { addr: new Uint8Array(6), broadcast: new Uint8Array(6) };

/**
 * `eth_type_trans` for a frame received on `dev` (default: the loopback
 * device, where ff:ff:ff:ff:ff:ff is multicast, not broadcast): the packet
 * type from the destination address, and the protocol from the EtherType,
 * or for 802.3 length fields `ETH_P_802_3` (raw IPX, `0xffff` after the
 * header) or `ETH_P_802_2`.
 *
 * @example
 * ethTypeTrans(frame).protocol; // 0x0800 for IPv4
 */
export function ethTypeTrans(frame: Uint8Array, dev: EthDevice = LOOPBACK_DEVICE): EthTypeTrans {
  const devAddr = dev.addr;
  let pktType: number = PacketType.PACKET_HOST;
  let same = true;
  for (let i = 0; i < 6; i++) if (frame[i] !== devAddr[i]) same = false;
  if (!same) {
    if (((frame[0] ?? 0) & 1) !== 0) {
      let bcast = true;
      for (let i = 0; i < 6; i++) if (frame[i] !== dev.broadcast[i]) bcast = false;
      pktType = bcast ? PacketType.PACKET_BROADCAST : PacketType.PACKET_MULTICAST;
    } else pktType = PacketType.PACKET_OTHERHOST;
  }
  const proto = ((frame[12] ?? 0) << 8) | (frame[13] ?? 0);
  if (proto >= ETH_P_802_3_MIN) return { protocol: proto, pktType };
  // skb_header_pointer needs two bytes after the header.
  if (frame.length >= ETH_HLEN + 2 && frame[14] === 0xff && frame[15] === 0xff) return { protocol: ETH_P_802_3, pktType };
  return { protocol: ETH_P_802_2, pktType };
}
