import test from 'ava';
import { createVmArena } from '@bpfkit/memory';
import {
  createFlowDissectorContext, createPlainContext, createSkBuffContext, createSockAddrContext, createXdpContext, ETH_P_IP, ethTypeTrans,
  FlowKeys, flowKeysAddr, packetOf, PacketType, releasePacketContext, SK_BUFF_SIZE, SkBuff, SockAddr, XdpMd,
} from '@bpfkit/vm';

const newArena = () => createVmArena({ initialBytes: 1 << 20, wasm: false });
const frame = (n: number, etherType = 0x0800, dst = [0, 0, 0, 0, 0, 0]) => {
  const f = Uint8Array.from({ length: n }, (_, i) => i & 0xff);
  f.set(dst, 0);
  f[12] = etherType >> 8;
  f[13] = etherType & 0xff;
  return f;
};

test('the __sk_buff layout matches include/uapi/linux/bpf.h on x86-64', (t) => {
  t.is(SK_BUFF_SIZE, 192);
  t.deepEqual([SkBuff.cb, SkBuff.data, SkBuff.data_end, SkBuff.data_meta, SkBuff.flow_keys, SkBuff.tstamp, SkBuff.wire_len, SkBuff.gso_size, SkBuff.hwtstamp], [48, 76, 80, 140, 144, 152, 160, 176, 184]);
});

test('an skb context holds data, data_end and data_meta as 32-bit arena addresses and len from data on', (t) => {
  const arena = newArena();
  const f = frame(64);
  const skb = createSkBuffContext(arena, { frame: f, headroom: 64, tailroom: 320, dataOffset: 14 });
  const v = arena.view;
  const data = v.getUint32(skb.ctx + SkBuff.data, true);
  t.is(v.getUint32(skb.ctx + SkBuff.data_end, true) - data, 50);
  t.is(v.getUint32(skb.ctx + SkBuff.data_meta, true), data);
  t.is(v.getUint32(skb.ctx + SkBuff.len, true), 50);
  t.deepEqual([...arena.bytes.subarray(data, data + 4)], [14, 15, 16, 17]);
  t.is(data - skb.head, 64 + 14);
  t.is(packetOf(arena, skb.ctx), skb);
  releasePacketContext(skb);
  t.is(packetOf(arena, skb.ctx), undefined);
});

test('releasing a packet context gives its memory back to the arena', (t) => {
  const arena = newArena();
  const before = arena.allocatedBytes;
  releasePacketContext(createSkBuffContext(arena, { frame: frame(100), headroom: 64, tailroom: 320, dataOffset: 0 }));
  releasePacketContext(createXdpContext(arena, { linear: frame(100), frameSize: 4096, headroom: 256, metaLen: 0, ingressIfindex: 1, rxQueueIndex: 0 }));
  releasePacketContext(createFlowDissectorContext(arena, { frame: frame(100), nProto: 8, nhoff: 14, flags: 0 }));
  t.is(arena.allocatedBytes, before);
});

test('an skb context starts from the given __sk_buff bytes', (t) => {
  const arena = newArena();
  const init = new Uint8Array(192);
  new DataView(init.buffer).setUint32(SkBuff.mark, 7, true);
  const skb = createSkBuffContext(arena, { frame: frame(64), headroom: 0, tailroom: 0, dataOffset: 0, init });
  t.is(arena.view.getUint32(skb.ctx + SkBuff.mark, true), 7);
});

test('an xdp_md has data_meta, data and data_end as arena addresses, metadata before data', (t) => {
  const arena = newArena();
  const xdp = createXdpContext(arena, { linear: frame(64), frameSize: 4096, headroom: 248, metaLen: 8, ingressIfindex: 1, rxQueueIndex: 0 });
  const v = arena.view;
  const meta = v.getUint32(xdp.ctx + XdpMd.data_meta, true);
  const data = v.getUint32(xdp.ctx + XdpMd.data, true);
  t.is(data - meta, 8);
  t.is(data - xdp.head, 256);
  t.is(v.getUint32(xdp.ctx + XdpMd.data_end, true) - data, 56);
  t.is(v.getUint32(xdp.ctx + XdpMd.ingress_ifindex, true), 1);
  t.is(xdp.hardEnd - xdp.head, 4096 - 320);
});

test('a flow dissector context points data at the frame and flow_keys at zeroed keys with n_proto, nhoff, thoff, flags', (t) => {
  const arena = newArena();
  const fd = createFlowDissectorContext(arena, { frame: frame(64), nProto: 0x0008, nhoff: 14, flags: 1 });
  const keys = flowKeysAddr(fd);
  const v = arena.view;
  t.is(v.getUint32(fd.ctx + SkBuff.data, true), fd.head);
  t.is(v.getUint32(fd.ctx + SkBuff.data_end, true) - fd.head, 64);
  t.is(v.getUint16(keys + FlowKeys.n_proto, true), 8);
  t.is(v.getUint16(keys + FlowKeys.nhoff, true), 14);
  t.is(v.getUint16(keys + FlowKeys.thoff, true), 14);
  t.is(v.getUint32(keys + FlowKeys.flags, true), 1);
});

test('plain contexts copy their initial bytes; bpf_sock_addr fields go to their offsets', (t) => {
  const arena = newArena();
  const args = createPlainContext(arena, Uint8Array.of(1, 2, 3), 16);
  t.deepEqual([...arena.bytes.subarray(args, args + 4)], [1, 2, 3, 0]);
  const sa = createSockAddrContext(arena, { user_family: 2, user_port: 0x5000 });
  t.is(arena.view.getUint32(sa + SockAddr.user_family, true), 2);
  t.is(arena.view.getUint32(sa + SockAddr.user_port, true), 0x5000);
});

test('eth_type_trans on the loopback device: host, multicast (even ff:ff…, lo has a zero broadcast address), other host', (t) => {
  t.deepEqual(ethTypeTrans(frame(64)), { protocol: ETH_P_IP, pktType: PacketType.PACKET_HOST });
  t.is(ethTypeTrans(frame(64, 0x0800, [255, 255, 255, 255, 255, 255])).pktType, PacketType.PACKET_MULTICAST);
  t.is(ethTypeTrans(frame(64, 0x0800, [1, 0, 0x5e, 0, 0, 1])).pktType, PacketType.PACKET_MULTICAST);
  t.is(ethTypeTrans(frame(64, 0x0800, [2, 1, 2, 3, 4, 5])).pktType, PacketType.PACKET_OTHERHOST);
  const bcast = new Uint8Array(6).fill(0xff);
  t.is(ethTypeTrans(frame(64, 0x0800, [255, 255, 255, 255, 255, 255]), { addr: new Uint8Array(6), broadcast: bcast }).pktType, PacketType.PACKET_BROADCAST);
});

test('eth_type_trans of 802.3 length fields: ETH_P_802_3 for raw IPX (ffff), else ETH_P_802_2', (t) => {
  const raw = frame(64, 0x0030);
  raw[14] = 0xff;
  raw[15] = 0xff;
  t.is(ethTypeTrans(raw).protocol, 0x0001);
  t.is(ethTypeTrans(frame(64, 0x0030)).protocol, 0x0004);
  t.is(ethTypeTrans(frame(14, 0x0030)).protocol, 0x0004);
});
