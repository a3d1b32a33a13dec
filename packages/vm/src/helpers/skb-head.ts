import { type HelperCall, type HelperDescriptor, isBpfError } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { ETH_HLEN } from '../contexts/eth.js';
import type { PacketContext } from '../contexts/packets.js';
import { SkBuff, skbCowHead, skbExpandHead, skbTailroom } from '../contexts/sk-buff.js';
import { defineHelper } from './define.js';
import { checkMem } from './memory.js';
import { argHi, argLo, ptrArg, setR0 } from './regs.js';
import { packetArg } from './skb.js';

/** `BPF_SKB_MAX_LEN` (`SKB_MAX_ALLOC` on x86-64): the longest a helper may make a non-GSO skb. */
const BPF_SKB_MAX_LEN = 16384 - 320;
const VLAN_HLEN = 4;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
const ETH_P_802_3_MIN = 0x0600;

const isVlan = (proto: number): boolean => proto === ETH_P_8021Q || proto === ETH_P_8021AD;

/** `skb->len` of a linear skb. */
const skbLen = (pkt: PacketContext): number => pkt.dataEnd() - pkt.data();

/**
 * `bpf_skb_change_head(skb, head_room, flags)`: pushes `head_room` zeroed
 * bytes in front of `skb->data` (expanding the buffer when needed), which
 * becomes the MAC header; flags must be 0 and the skb stay within
 * `BPF_SKB_MAX_LEN` (-EINVAL).
 */
const skbChangeHead = defineHelper('skb_change_head', (c) => {
  const pkt = packetArg(c, 'bpf_skb_change_head');
  const room = argLo(c, 2);
  const len = skbLen(pkt);
  if (argLo(c, 3) !== 0 || argHi(c, 3) !== 0 || len + room > BPF_SKB_MAX_LEN) return setR0(c, -Errno.EINVAL);
  if (!skbCowHead(pkt, room)) return setR0(c, -Errno.ENOMEM);
  const data = pkt.data() - room;
  c.env.arena.bytes.fill(0, data, data + room);
  pkt.setBounds(data, data, pkt.dataEnd());
  pkt.macOffset = data - pkt.head;
  setR0(c, 0);
});

// skb->protocol and the hardware-accelerated tag live in the __sk_buff the program reads.
const protocolOf = (c: HelperCall, pkt: PacketContext): number => c.env.arena.view.getUint16(pkt.ctx + SkBuff.protocol, false);
const setProtocol = (c: HelperCall, pkt: PacketContext, proto: number): void => {
  c.env.arena.view.setUint16(pkt.ctx + SkBuff.protocol, proto, false);
};
const tagPresent = (c: HelperCall, pkt: PacketContext): boolean => c.env.arena.view.getUint32(pkt.ctx + SkBuff.vlan_present, true) !== 0;
function putTag(c: HelperCall, pkt: PacketContext, proto: number, tci: number): void {
  const v = c.env.arena.view;
  v.setUint32(pkt.ctx + SkBuff.vlan_present, 1, true);
  v.setUint32(pkt.ctx + SkBuff.vlan_tci, tci & 0xffff, true);
  v.setUint32(pkt.ctx + SkBuff.vlan_proto, 0, true);
  v.setUint16(pkt.ctx + SkBuff.vlan_proto, proto, false);
}
function clearTag(c: HelperCall, pkt: PacketContext): void {
  const v = c.env.arena.view;
  for (const f of [SkBuff.vlan_present, SkBuff.vlan_tci, SkBuff.vlan_proto]) v.setUint32(pkt.ctx + f, 0, true);
}

/** `__vlan_insert_tag`: a tag goes in after the MAC addresses, the packet growing at the front. */
function insertTag(c: HelperCall, pkt: PacketContext, proto: number, tci: number): number {
  if (!skbCowHead(pkt, VLAN_HLEN)) return -Errno.ENOMEM;
  const b = c.env.arena.bytes;
  const data = pkt.data() - VLAN_HLEN;
  b.copyWithin(data, data + VLAN_HLEN, data + VLAN_HLEN + 12);
  c.env.arena.view.setUint16(data + 12, proto, false);
  c.env.arena.view.setUint16(data + 14, tci, false);
  pkt.setBounds(data, data, pkt.dataEnd());
  pkt.macOffset -= VLAN_HLEN;
  return 0;
}

/** `__skb_vlan_pop`: takes the tag after the MAC addresses out of the packet and returns its TCI (or a negative errno). */
function popTag(c: HelperCall, pkt: PacketContext): number {
  const data = pkt.data();
  if (data - pkt.head !== pkt.macOffset) return -Errno.EINVAL;
  if (skbLen(pkt) < ETH_HLEN + VLAN_HLEN) return -Errno.ENOMEM;
  const v = c.env.arena.view;
  const tci = v.getUint16(data + 14, false);
  const inner = v.getUint16(data + 16, false);
  c.env.arena.bytes.copyWithin(data + VLAN_HLEN, data, data + 12);
  pkt.setBounds(data + VLAN_HLEN, data + VLAN_HLEN, pkt.dataEnd());
  pkt.macOffset += VLAN_HLEN;
  // vlan_set_encap_proto: an EtherType, else 802.3 (raw, 0xffff follows) or 802.2.
  if (inner >= ETH_P_802_3_MIN) setProtocol(c, pkt, inner);
  else setProtocol(c, pkt, v.getUint16(data + VLAN_HLEN + ETH_HLEN, false) === 0xffff ? 0x0001 : 0x0004);
  if (pkt.networkOffset - (pkt.data() - pkt.head) < ETH_HLEN) pkt.networkOffset = pkt.data() - pkt.head + ETH_HLEN;
  return tci;
}

/**
 * `bpf_skb_vlan_push(skb, vlan_proto, vlan_tci)`: a protocol other than
 * 802.1Q/802.1ad becomes 802.1Q; the tag goes into the hardware-accelerated
 * slot, and one already there is first inserted into the packet.
 */
const skbVlanPush = defineHelper('skb_vlan_push', (c) => {
  const pkt = packetArg(c, 'bpf_skb_vlan_push');
  // vlan_proto is a __be16 as the program holds it: bytes in memory order.
  const raw = argLo(c, 2) & 0xffff;
  const given = ((raw & 0xff) << 8) | (raw >>> 8);
  const proto = isVlan(given) ? given : ETH_P_8021Q;
  if (tagPresent(c, pkt)) {
    if (pkt.data() - pkt.head !== pkt.macOffset) return setR0(c, -Errno.EINVAL);
    const v = c.env.arena.view;
    const oldProto = v.getUint16(pkt.ctx + SkBuff.vlan_proto, false);
    const err = insertTag(c, pkt, oldProto, v.getUint32(pkt.ctx + SkBuff.vlan_tci, true));
    if (err < 0) return setR0(c, err);
    setProtocol(c, pkt, oldProto);
    pkt.networkOffset -= VLAN_HLEN;
  }
  putTag(c, pkt, proto, argLo(c, 3));
  setR0(c, 0);
});

/**
 * `bpf_skb_vlan_pop(skb)`: drops the hardware-accelerated tag (or, without
 * one, the tag in the packet), then moves the next tag in the packet into
 * the accelerated slot.
 */
const skbVlanPop = defineHelper('skb_vlan_pop', (c) => {
  const pkt = packetArg(c, 'bpf_skb_vlan_pop');
  if (tagPresent(c, pkt)) clearTag(c, pkt);
  else {
    if (!isVlan(protocolOf(c, pkt))) return setR0(c, 0);
    const r = popTag(c, pkt);
    if (r < 0) return setR0(c, r);
  }
  const proto = protocolOf(c, pkt);
  if (!isVlan(proto)) return setR0(c, 0);
  const tci = popTag(c, pkt);
  if (tci < 0) return setR0(c, tci);
  putTag(c, pkt, proto, tci);
  setR0(c, 0);
});

/**
 * `bpf_skb_change_tail(skb, new_len, flags)`: trims the packet or grows it
 * with zeros (expanding the buffer when needed). flags must be 0, and the
 * length stay between the network header's offset from `skb->data` and
 * `BPF_SKB_MAX_LEN` (-EINVAL).
 */
const skbChangeTail = defineHelper('skb_change_tail', (c) => {
  const pkt = packetArg(c, 'bpf_skb_change_tail');
  const newLen = argLo(c, 2);
  const data = pkt.data();
  const len = skbLen(pkt);
  const minLen = Math.max(0, pkt.head + pkt.networkOffset - data);
  if (argLo(c, 3) !== 0 || argHi(c, 3) !== 0 || newLen > BPF_SKB_MAX_LEN || newLen < minLen) return setR0(c, -Errno.EINVAL);
  if (newLen > len) {
    const grow = newLen - len;
    if (grow > skbTailroom(pkt)) {
      try {
        skbExpandHead(pkt, 0, grow - skbTailroom(pkt));
      } catch (e) {
        if (isBpfError(e, 'ENOMEM')) return setR0(c, -Errno.ENOMEM);
        throw e;
      }
    }
    c.env.arena.bytes.fill(0, pkt.dataEnd(), pkt.dataEnd() + grow);
  }
  pkt.setBounds(pkt.dataMeta(), pkt.data(), pkt.data() + newLen);
  setR0(c, 0);
});

/** `BPF_HDR_START_MAC`, `BPF_HDR_START_NET`. */
const BPF_HDR_START_MAC = 0;
const BPF_HDR_START_NET = 1;

/**
 * `bpf_skb_load_bytes_relative(skb, offset, to, len, start_header)`: bytes
 * from the MAC or network header on; offsets above 0xffff, other headers and
 * ranges past the packet zero `to` and give -EFAULT.
 */
const skbLoadBytesRelative = defineHelper('skb_load_bytes_relative', (c) => {
  const pkt = packetArg(c, 'bpf_skb_load_bytes_relative');
  const offset = argLo(c, 2);
  const to = ptrArg(c, 3, 'to');
  const len = argLo(c, 4);
  checkMem(c, to, len, 'bpf_skb_load_bytes_relative to');
  const header = argLo(c, 5);
  const start = header === BPF_HDR_START_MAC ? pkt.macOffset : header === BPF_HDR_START_NET ? pkt.networkOffset : -1;
  const b = c.env.arena.bytes;
  const from = pkt.head + start + offset;
  if (offset > 0xffff || start < 0 || from + len > pkt.dataEnd()) {
    b.fill(0, to, to + len);
    return setR0(c, -Errno.EFAULT);
  }
  b.copyWithin(to, from, from + len);
  setR0(c, 0);
});

/**
 * `skb_change_head`, `skb_change_tail`, `skb_load_bytes_relative`, `skb_vlan_push`, `skb_vlan_pop`.
 *
 * @example
 * for (const h of skbHeadHelpers()) registry.set(h.id, h);
 */
export function skbHeadHelpers(): HelperDescriptor[] {
  return [skbChangeHead, skbChangeTail, skbLoadBytesRelative, skbVlanPush, skbVlanPop];
}
