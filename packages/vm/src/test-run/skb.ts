import type { TestRunResult } from '@bpfkit/kernel-api';
import { BPF_F_TEST_SKB_CHECKSUM_COMPLETE, BpfProgType } from '@bpfkit/uapi';
import { ETH_HLEN, ETH_P_IP, ETH_P_IPV6, ethTypeTrans } from '../contexts/eth.js';
import { CHECKSUM_COMPLETE } from '../contexts/packets.js';
import { BPF_SOCK_SIZE, BpfSock } from '../contexts/plain.js';
import { releasePacketContext } from '../contexts/release.js';
import { csumFold, csumPartial } from '../helpers/csum.js';
import { createSkBuffContext, SK_BUFF_CB_SIZE, SK_BUFF_SIZE, SkBuff, skbCowHead } from '../contexts/sk-buff.js';
import { checkDataSize, ctxInit, fail, finish, noFlagsCpuBatch, requireZero, runRepeated, type TestRunCall } from './common.js';

/** `NET_SKB_PAD + NET_IP_ALIGN` on x86-64. */
const SKB_HEADROOM = 64;
/** `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))` on x86-64. */
const SKB_TAILROOM = 320;
/** `SKF_NET_OFF`, `SKF_LL_OFF`: negative LD_ABS offsets into the network and MAC headers. */
const SKF_NET_OFF = -0x10_0000;
const SKF_LL_OFF = -0x20_0000;
/** `GSO_MAX_SEGS`, `GSO_LEGACY_MAX_SIZE`. */
const GSO_MAX_SEGS = 65535;
const GSO_LEGACY_MAX_SIZE = 65536;
const LOOPBACK_IFINDEX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
/** `TCP_CLOSE`: the state `sock_init_data` gives a new socket. */
const TCP_CLOSE = 7;

/** tc programs see the Ethernet header; the others start at the network header. */
const L2_TYPES = new Set<number>([BpfProgType.BPF_PROG_TYPE_SCHED_CLS, BpfProgType.BPF_PROG_TYPE_SCHED_ACT]);

/**
 * `convert___skb_to_skb`'s checks: only mark, priority, ingress_ifindex,
 * ifindex, cb, tstamp, wire_len, gso_segs, gso_size and hwtstamp may be set.
 */
function checkSkBuffIn(ctx: Uint8Array): void {
  requireZero(ctx, 0, SkBuff.mark, '__sk_buff fields before mark');
  requireZero(ctx, SkBuff.mark + 4, SkBuff.priority, '__sk_buff fields between mark and priority');
  requireZero(ctx, SkBuff.ifindex + 4, SkBuff.cb, '__sk_buff fields between ifindex and cb');
  requireZero(ctx, SkBuff.cb + SK_BUFF_CB_SIZE, SkBuff.tstamp, '__sk_buff fields between cb and tstamp');
  requireZero(ctx, SkBuff.gso_segs + 4, SkBuff.gso_size, '__sk_buff fields between gso_segs and gso_size');
  requireZero(ctx, SkBuff.gso_size + 4, SkBuff.hwtstamp, '__sk_buff fields between gso_size and hwtstamp');
}

/**
 * `bpf_prog_test_run_skb` (socket filter, tc, cgroup_skb, lwt): `data_in`
 * becomes an skb on the loopback device (or `ctx_in.ifindex`) with
 * `eth_type_trans` applied; tc programs see it from the Ethernet header, the
 * others from the network header (and get back an Ethernet header of zeroes
 * in `data_out`). `ctx_in`/`ctx_out` are a `__sk_buff` limited to the fields
 * the kernel takes.
 *
 * @example
 * testRunSkb({ prog, req, env, options });
 */
export function testRunSkb(call: TestRunCall): TestRunResult {
  const { prog, req, env, options } = call;
  noFlagsCpuBatch(req, BPF_F_TEST_SKB_CHECKSUM_COMPLETE);
  const frame = req.dataIn ?? new Uint8Array(0);
  checkDataSize(frame.length, SKB_HEADROOM, SKB_TAILROOM);
  const ctx = ctxInit(req, SK_BUFF_SIZE);
  const isL2 = L2_TYPES.has(prog.progType);
  const view = ctx === undefined ? undefined : new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
  const ifindexIn = view?.getUint32(SkBuff.ifindex, true) ?? 0;
  if (ifindexIn > 1 && !options.hasDevice(ifindexIn)) fail('ENODEV', 'no-such-device', `no device with ifindex ${ifindexIn}`);
  const ifindex = ifindexIn > 1 ? ifindexIn : LOOPBACK_IFINDEX;
  const eth = ethTypeTrans(frame);
  const netLen = frame.length - ETH_HLEN;
  // An IP packet must hold its whole network header in the linear data (measured on 6.18: 33/53 bytes are EINVAL).
  if ((eth.protocol === ETH_P_IP && netLen < 20) || (eth.protocol === ETH_P_IPV6 && netLen < 40)) {
    fail('EINVAL', 'short-network-header', `a ${frame.length}-byte frame cannot hold its ${eth.protocol === ETH_P_IP ? 'IPv4' : 'IPv6'} header`);
  }
  if (ctx !== undefined) checkSkBuffIn(ctx);
  const skb = createSkBuffContext(env.arena, { frame, headroom: SKB_HEADROOM, tailroom: SKB_TAILROOM, dataOffset: isL2 ? 0 : ETH_HLEN, ...(ctx === undefined ? {} : { init: ctx }) });
  try {
    const a = env.arena;
    const c = skb.ctx;
    const len = isL2 ? frame.length : netLen;
    if (view !== undefined) {
      const wire = view.getUint32(SkBuff.wire_len, true);
      if (wire !== 0 && (wire < len || wire > GSO_LEGACY_MAX_SIZE)) fail('EINVAL', 'wire-len', `wire_len ${wire} is below the packet length ${len} or above ${GSO_LEGACY_MAX_SIZE}`);
      if (view.getUint32(SkBuff.gso_segs, true) > GSO_MAX_SEGS) fail('EINVAL', 'gso-segs', `gso_segs above ${GSO_MAX_SEGS}`);
    }
    const v = a.view;
    v.setUint32(c + SkBuff.pkt_type, eth.pktType, true);
    v.setUint16(c + SkBuff.protocol, eth.protocol, false);
    v.setUint32(c + SkBuff.ifindex, ifindex, true);
    // qdisc_skb_cb.pkt_len is only set by convert___skb_to_skb, which does nothing without a ctx.
    if (ctx !== undefined && v.getUint32(c + SkBuff.wire_len, true) === 0) v.setUint32(c + SkBuff.wire_len, len, true);
    const net = skb.head + SKB_HEADROOM + ETH_HLEN;
    // The test run's dummy socket (skb->sk) takes its family and addresses from the packet: sock_init_data leaves
    // it TCP_CLOSE, no type or protocol, no rx queue.
    const sock = a.alloc(BPF_SOCK_SIZE);
    skb.extraAllocations.push(sock);
    v.setUint32(c + SkBuff.sk, sock, true);
    v.setUint32(sock + BpfSock.state, TCP_CLOSE, true);
    v.setInt32(sock + BpfSock.rx_queue_mapping, -1, true);
    if (eth.protocol === ETH_P_IP) {
      for (const at of [c + SkBuff.family, sock + BpfSock.family]) v.setUint32(at, AF_INET, true);
      for (const [to, from] of [[c + SkBuff.local_ip4, net + 12], [c + SkBuff.remote_ip4, net + 16], [sock + BpfSock.src_ip4, net + 12], [sock + BpfSock.dst_ip4, net + 16]] as const) a.bytes.copyWithin(to, from, from + 4);
    } else if (eth.protocol === ETH_P_IPV6) {
      for (const at of [c + SkBuff.family, sock + BpfSock.family]) v.setUint32(at, AF_INET6, true);
      for (const [to, from] of [[c + SkBuff.local_ip6, net + 8], [c + SkBuff.remote_ip6, net + 24], [sock + BpfSock.src_ip6, net + 8], [sock + BpfSock.dst_ip6, net + 24]] as const) a.bytes.copyWithin(to, from, from + 16);
    }
    const csumComplete = (req.flags & BPF_F_TEST_SKB_CHECKSUM_COMPLETE) !== 0;
    if (csumComplete) {
      // skb->csum covers the network header on; helpers keep it up to date only when asked to.
      skb.ipSummed = CHECKSUM_COMPLETE;
      skb.csum = csumPartial(a.bytes, a.view, net, skb.dataEnd() - net, 0);
    }
    const loadSkbBytes = (offset: number, size: 1 | 2 | 4): number => {
      let at: number;
      if (offset >= 0) {
        const data = skb.data();
        if (offset + size > skb.dataEnd() - data) return -1;
        at = data + offset;
      } else {
        // bpf_internal_load_pointer_neg_helper: SKF_NET_OFF / SKF_LL_OFF address the network and MAC headers.
        if (offset >= SKF_NET_OFF) at = skb.head + skb.networkOffset + offset - SKF_NET_OFF;
        else if (offset >= SKF_LL_OFF) at = skb.head + skb.macOffset + offset - SKF_LL_OFF;
        else return -1;
        if (at < skb.head || at + size > skb.dataEnd()) return -1;
      }
      const dv = a.view;
      return size === 1 ? dv.getUint8(at) : size === 2 ? dv.getUint16(at, false) : dv.getUint32(at, false);
    };
    const run = runRepeated(call, c, req.repeat, { loadSkbBytes });
    if (!isL2 && !skbCowHead(skb, ETH_HLEN)) fail('ENOMEM', 'no-headroom', 'no room to put the Ethernet header back');
    let data = skb.data();
    const end = skb.dataEnd();
    if (!isL2) {
      data -= ETH_HLEN;
      a.bytes.fill(0, data, data + ETH_HLEN);
    }
    const netNow = skb.head + skb.networkOffset;
    if (csumComplete && csumFold(skb.csum) !== csumFold(csumPartial(a.bytes, a.view, netNow, end - netNow, 0))) fail('EBADMSG', 'csum-mismatch', 'the program changed the packet without updating its CHECKSUM_COMPLETE checksum');
    let ctxOut: Uint8Array | undefined;
    if (ctx !== undefined) {
      ctxOut = ctx;
      const out = new DataView(ctxOut.buffer, ctxOut.byteOffset, ctxOut.byteLength);
      for (const f of [SkBuff.mark, SkBuff.priority, SkBuff.ingress_ifindex, SkBuff.ifindex, SkBuff.wire_len, SkBuff.gso_segs]) out.setUint32(f, v.getUint32(c + f, true), true);
      for (const f of [SkBuff.tstamp, SkBuff.hwtstamp]) out.setBigUint64(f, v.getBigUint64(c + f, true), true);
      ctxOut.set(a.bytes.subarray(c + SkBuff.cb, c + SkBuff.cb + SK_BUFF_CB_SIZE), SkBuff.cb);
    }
    return finish(req, run, a.bytes.slice(data, end), ctxOut);
  } finally {
    releasePacketContext(skb);
  }
}
