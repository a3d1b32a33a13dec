// The grid of BPF_PROG_TEST_RUN requests the recorder sends to the kernel.
import * as P from './programs.mjs';
import { assemble, encodeProgram } from '../../packages/asm/dist/index.js';

const { T } = P;

function ipv4Checksum(h) {
  let s = 0;
  for (let i = 0; i < h.length; i += 2) s += (h[i] << 8) | h[i + 1];
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** An Ethernet frame of `size` bytes: IPv4/UDP 10.0.0.1:1000 → 10.0.0.2:53 unless another EtherType is given. */
export function frame(size, { dst = [0, 0, 0, 0, 0, 0], etherType = 0x0800, fill = 0 } = {}) {
  const f = new Uint8Array(Math.max(size, 64));
  f.set(dst, 0);
  f.set([2, 0, 0, 0, 0, 1], 6);
  f[12] = etherType >> 8;
  f[13] = etherType & 0xff;
  if (etherType === 0x0800) {
    const ipLen = Math.max(28, size - 14) & 0xffff;
    const ip = [0x45, 0, ipLen >> 8, ipLen & 0xff, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
    const c = ipv4Checksum(ip);
    ip[10] = c >> 8;
    ip[11] = c & 0xff;
    f.set(ip, 14);
    f.set([0x03, 0xe8, 0x00, 0x35, (ipLen - 20) >> 8, (ipLen - 20) & 0xff, 0, 0], 34);
    for (let i = 42; i < f.length; i++) f[i] = (i + fill) & 0xff;
  } else if (etherType === 0x86dd) {
    f.set([0x60, 0, 0, 0, 0, 8, 17, 64], 14);
    f.set([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 22);
    f.set([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 38);
    for (let i = 54; i < f.length; i++) f[i] = i & 0xff;
  } else {
    for (let i = 14; i < f.length; i++) f[i] = (i * 7) & 0xff;
  }
  return f.slice(0, size);
}

const req = (over = {}) => ({ dataIn: null, ctxIn: null, dataSizeOut: 0, ctxSizeOut: 0, repeat: 0, flags: 0, cpu: 0, batchSize: 0, ...over });

const u32s = (...v) => {
  const b = new Uint8Array(v.length * 4);
  const d = new DataView(b.buffer);
  v.forEach((x, i) => d.setUint32(i * 4, x >>> 0, true));
  return b;
};
const u64s = (...v) => {
  const b = new Uint8Array(v.length * 8);
  const d = new DataView(b.buffer);
  v.forEach((x, i) => d.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(x)), true));
  return b;
};

/** A `__sk_buff` with fields set at byte offsets. */
function skBuff(fields, size = 192) {
  const b = new Uint8Array(size);
  const d = new DataView(b.buffer);
  for (const [off, v, w = 4] of fields) {
    if (w === 8) d.setBigUint64(off, BigInt(v), true);
    else if (w === 1) d.setUint8(off, v);
    else d.setUint32(off, v >>> 0, true);
  }
  return b;
}

/** The callback patch of a program whose main part ends at its first exit and whose `r2 = 0 ll` is the callback. */
function callbackPatch(text) {
  const insns = encodeProgram(assemble(text));
  let ld = -1;
  let exit = -1;
  for (let i = 0; i < insns.length / 8; i++) {
    const code = insns[i * 8];
    if (ld < 0 && code === 0x18 && (insns[i * 8 + 1] & 0x0f) === 2 && insns.subarray(i * 8 + 4, i * 8 + 8).every((b) => b === 0)) ld = i;
    if (exit < 0 && code === 0x95) exit = i;
  }
  return { patches: [{ insn: ld, src: 4, imm: exit + 1 - (ld + 1) }], callbackAt: exit + 1 };
}

export function* cases() {
  const m = (type, keySize, valueSize, maxEntries, flags = 0) => ({ type, keySize, valueSize, maxEntries, flags });
  const OUT = 70000;
  // --- skb programs: sizes, protocols, destinations
  const skbTypes = [
    ['socket_filter', { type: T.SOCKET_FILTER, text: P.skbEcho({ data: false, writeMark: false }) }],
    ['sched_cls', { type: T.SCHED_CLS, text: P.skbEcho({ data: true, writeMark: true }) }],
    ['sched_act', { type: T.SCHED_ACT, text: P.skbEcho({ data: true, writeMark: true }) }],
    ['cgroup_skb', { type: T.CGROUP_SKB, attach: 0, text: P.skbEcho({ data: true, writeMark: true, verdict: true }) }],
    ['lwt_in', { type: T.LWT_IN, text: P.skbEcho({ data: true, writeMark: false }) }],
    ['lwt_xmit', { type: T.LWT_XMIT, text: P.skbEcho({ data: true, writeMark: false }) }],
    ['lwt_seg6local', { type: T.LWT_SEG6LOCAL, text: P.skbEcho({ data: false, writeMark: false }) }],
  ];
  for (const [name, prog] of skbTypes) {
    for (const size of [0, 13, 14, 15, 64, 1500, 3712, 3713, 65536]) {
      yield { name: `${name} size ${size}`, prog, req: req({ dataIn: frame(size), dataSizeOut: OUT, ctxSizeOut: 192 }) };
    }
    for (const size of [33, 34]) yield { name: `${name} ipv4 size ${size}`, prog, req: req({ dataIn: frame(size), dataSizeOut: OUT, ctxSizeOut: 192 }) };
    for (const size of [53, 54]) yield { name: `${name} ipv6 size ${size}`, prog, req: req({ dataIn: frame(size, { etherType: 0x86dd }), dataSizeOut: OUT, ctxSizeOut: 192 }) };
    yield { name: `${name} ipv6`, prog, req: req({ dataIn: frame(80, { etherType: 0x86dd }), dataSizeOut: OUT, ctxSizeOut: 192 }) };
    yield { name: `${name} arp to broadcast`, prog, req: req({ dataIn: frame(42, { etherType: 0x0806, dst: [255, 255, 255, 255, 255, 255] }), dataSizeOut: OUT, ctxSizeOut: 192 }) };
    yield { name: `${name} 802.3 length to multicast`, prog, req: req({ dataIn: frame(60, { etherType: 0x0030, dst: [1, 0, 0x5e, 0, 0, 1] }), dataSizeOut: OUT, ctxSizeOut: 192 }) };
    yield { name: `${name} raw 802.3 (ffff) to another host`, prog, req: req({ dataIn: (() => { const f = frame(60, { etherType: 0x0030, dst: [2, 1, 2, 3, 4, 5] }); f[14] = 0xff; f[15] = 0xff; return f; })(), dataSizeOut: OUT, ctxSizeOut: 192 }) };
    yield { name: `${name} 802.3 exactly 14 bytes`, prog, req: req({ dataIn: frame(14, { etherType: 0x0030 }), dataSizeOut: OUT, ctxSizeOut: 192 }) };
  }
  const tc = { type: T.SCHED_CLS, text: P.skbEcho({ data: true, writeMark: true }) };
  const sf = { type: T.SOCKET_FILTER, text: P.skbEcho({ data: false, writeMark: false }) };
  const pkt = frame(64);
  const ctxGood = skBuff([[8, 7], [32, 3], [48, 1], [52, 2], [56, 3], [60, 4], [64, 5], [152, 1000, 8], [160, 100], [164, 2], [176, 1400], [184, 77, 8]]);
  for (const [name, prog] of [['sched_cls', tc], ['socket_filter', sf]]) {
    yield { name: `${name} ctx_in allowed fields`, prog, req: req({ dataIn: pkt, ctxIn: ctxGood, dataSizeOut: OUT, ctxSizeOut: 192 }) };
    yield { name: `${name} ctx_out only`, prog, req: req({ dataIn: pkt, dataSizeOut: OUT, ctxSizeOut: 192 }) };
    yield { name: `${name} no ctx`, prog, req: req({ dataIn: pkt, dataSizeOut: OUT }) };
    yield { name: `${name} no data_out`, prog, req: req({ dataIn: pkt }) };
    yield { name: `${name} ctx_in only`, prog, req: req({ dataIn: pkt, ctxIn: ctxGood, dataSizeOut: OUT }) };
  }
  const bad = [
    ['len', [[0, 1]]], ['pkt_type', [[4, 1]]], ['queue_mapping', [[12, 1]]], ['protocol', [[16, 8]]], ['vlan_tci', [[24, 1]]],
    ['ingress_ifindex 1', [[36, 1]]], ['ifindex 1', [[40, 1]]], ['ifindex 9999', [[40, 9999]]], ['tc_index', [[44, 1]]],
    ['hash', [[68, 1]]], ['data', [[76, 1]]], ['family', [[88, 2]]], ['data_meta', [[140, 1]]], ['flow_keys', [[144, 1, 8]]],
    ['wire_len below len', [[160, 10]]], ['wire_len 65536', [[160, 65536]]], ['wire_len 65537', [[160, 65537]]],
    ['gso_segs 65535', [[164, 65535]]], ['gso_segs 65536', [[164, 65536]]], ['sk', [[168, 1, 8]]], ['tstamp_type', [[180, 1, 1]]],
  ];
  for (const [what, fields] of bad) {
    yield { name: `sched_cls ctx_in ${what}`, prog: tc, req: req({ dataIn: pkt, ctxIn: skBuff(fields), dataSizeOut: OUT, ctxSizeOut: 192 }) };
  }
  yield { name: 'sched_cls ctx_in 200 bytes zero tail', prog: tc, req: req({ dataIn: pkt, ctxIn: skBuff([[8, 9]], 200), dataSizeOut: OUT, ctxSizeOut: 192 }) };
  yield { name: 'sched_cls ctx_in 200 bytes non-zero tail', prog: tc, req: req({ dataIn: pkt, ctxIn: skBuff([[8, 9], [196, 1]], 200), dataSizeOut: OUT, ctxSizeOut: 192 }) };
  yield { name: 'sched_cls ctx_in 12 bytes', prog: tc, req: req({ dataIn: pkt, ctxIn: skBuff([[8, 9]], 12), dataSizeOut: OUT, ctxSizeOut: 192 }) };
  yield { name: 'sched_cls ctx_size_out 100', prog: tc, req: req({ dataIn: pkt, ctxIn: ctxGood, dataSizeOut: OUT, ctxSizeOut: 100 }) };
  yield { name: 'sched_cls data_size_out 10', prog: tc, req: req({ dataIn: pkt, ctxIn: ctxGood, dataSizeOut: 10, ctxSizeOut: 192 }) };
  yield { name: 'socket_filter data_size_out 10', prog: sf, req: req({ dataIn: pkt, dataSizeOut: 10 }) };
  yield { name: 'sched_cls repeat 5', prog: tc, req: req({ dataIn: pkt, ctxIn: ctxGood, dataSizeOut: OUT, ctxSizeOut: 192, repeat: 5 }) };
  for (const flags of [1, 2, 4, 8]) yield { name: `sched_cls flags ${flags}`, prog: tc, req: req({ dataIn: pkt, dataSizeOut: OUT, flags }) };
  yield { name: 'sched_cls cpu 1', prog: tc, req: req({ dataIn: pkt, dataSizeOut: OUT, cpu: 1 }) };
  yield { name: 'sched_cls batch_size 1', prog: tc, req: req({ dataIn: pkt, dataSizeOut: OUT, batchSize: 1 }) };
  const tcw = { type: T.SCHED_CLS, text: P.tcWriteFirstByte };
  yield { name: 'sched_cls writes packet', prog: tcw, req: req({ dataIn: pkt, dataSizeOut: OUT }) };
  yield { name: 'sched_cls writes packet, checksum complete', prog: tcw, req: req({ dataIn: pkt, dataSizeOut: OUT, flags: 4 }) };
  yield { name: 'sched_cls writes packet repeat 3', prog: tcw, req: req({ dataIn: pkt, dataSizeOut: OUT, repeat: 3 }) };
  const tcNet = { type: T.SCHED_CLS, text: P.tcWriteAt(20) };
  yield { name: 'sched_cls writes network header', prog: tcNet, req: req({ dataIn: pkt, dataSizeOut: OUT }) };
  yield { name: 'sched_cls writes network header, checksum complete', prog: tcNet, req: req({ dataIn: pkt, dataSizeOut: OUT, flags: 4 }) };
  yield { name: 'sched_cls writes MAC header, checksum complete', prog: { type: T.SCHED_CLS, text: P.tcWriteAt(2) }, req: req({ dataIn: pkt, dataSizeOut: OUT, flags: 4 }) };
  yield { name: 'skb_store_bytes recompute into the network header, checksum complete', prog: { type: T.SCHED_CLS, text: P.skbStoreBytes(20, 4, 1) }, req: req({ dataIn: pkt, dataSizeOut: OUT, flags: 4 }) };
  yield { name: 'skb_store_bytes without recompute into the network header, checksum complete', prog: { type: T.SCHED_CLS, text: P.skbStoreBytes(20, 4, 0) }, req: req({ dataIn: pkt, dataSizeOut: OUT, flags: 4 }) };
  const ldAbsOther = { type: T.SOCKET_FILTER, text: P.sfLdAbs };
  for (const size of [14, 23, 24]) yield { name: `socket_filter ld_abs non-IP size ${size}`, prog: ldAbsOther, req: req({ dataIn: frame(size, { etherType: 0x88b5 }), dataSizeOut: OUT }) };
  const ldAbs = { type: T.SOCKET_FILTER, text: P.sfLdAbs };
  for (const size of [14, 23, 24, 64]) yield { name: `socket_filter ld_abs size ${size}`, prog: ldAbs, req: req({ dataIn: frame(size), dataSizeOut: OUT }) };

  // The __sk_buff as each program type sees it, read field by field into an array map.
  const skbFields = {
    sched_cls: [[0, 4], [4, 4], [8, 4], [12, 4], [16, 4], [20, 4], [24, 4], [28, 4], [32, 4], [36, 4], [40, 4], [44, 4], [48, 4], [68, 4], [72, 4], [84, 4], [152, 8], [160, 4], [164, 4], [176, 4], [184, 8]],
    socket_filter: [[0, 4], [4, 4], [8, 4], [12, 4], [16, 4], [20, 4], [24, 4], [28, 4], [32, 4], [36, 4], [40, 4], [48, 4], [68, 4], [84, 4]],
    cgroup_skb: [[0, 4], [4, 4], [8, 4], [12, 4], [16, 4], [20, 4], [24, 4], [28, 4], [32, 4], [36, 4], [40, 4], [48, 4], [68, 4], [84, 4], [88, 4], [92, 4], [96, 4], [100, 4], [116, 4], [132, 4], [136, 4], [152, 8]],
  };
  for (const [tname, type] of [['sched_cls', T.SCHED_CLS], ['socket_filter', T.SOCKET_FILTER], ['cgroup_skb', T.CGROUP_SKB]]) {
    const fields = skbFields[tname];
    const text = [
      'r6 = r1', 'r1 = 0', '*(u32 *)(r10 -4) = r1', P.mapRef(1, 0), 'r2 = r10', 'r2 += -4', 'call 1', 'if r0 == 0 goto out',
      ...fields.flatMap(([off, w], i) => [`r1 = *(${w === 8 ? 'u64' : 'u32'} *)(r6 +${off})`, `*(${w === 8 ? 'u64' : 'u32'} *)(r0 +${8 * i}) = r1`]),
      'out:', 'r0 = 1', 'exit',
    ].join('\n');
    for (const [what, dataIn, ctxIn] of [['ipv4', frame(64), null], ['ipv6 with ctx', frame(80, { etherType: 0x86dd }), ctxGood], ['arp to a multicast address', frame(60, { etherType: 0x0806, dst: [1, 0, 0x5e, 0, 0, 1] }), null]]) {
      yield { name: `${tname} __sk_buff as the program sees it (${what})`, prog: { type, text, maps: [m(2, 4, 8 * fields.length, 1)], tag: what }, req: req({ dataIn, ctxIn, ctxSizeOut: ctxIn === null ? 0 : 192 }) };
    }
  }

  // --- XDP
  const xdp = { type: T.XDP, text: P.xdpEcho };
  const md = (data, end, meta = 0, ingress = 0, queue = 0, egress = 0, size) => (size === undefined ? u32s(data, end, meta, ingress, queue, egress) : u32s(data, end, meta, ingress, queue, egress, size));
  for (const size of [0, 13, 14, 15, 64, 1500, 3520, 3521, 4096, 9000, 65536]) {
    yield { name: `xdp size ${size}`, prog: xdp, req: req({ dataIn: frame(size), dataSizeOut: OUT }) };
  }
  const xdpFrags = { type: T.XDP, flags: 1 << 5, text: P.xdpEcho };
  yield { name: 'xdp.frags size 9000', prog: xdpFrags, req: req({ dataIn: frame(9000), dataSizeOut: OUT }) };
  yield { name: 'xdp size 9000 data_size_out 5000', prog: xdp, req: req({ dataIn: frame(9000), dataSizeOut: 5000 }) };
  yield { name: 'xdp size 9000 data_size_out 6000', prog: xdp, req: req({ dataIn: frame(9000), dataSizeOut: 6000 }) };
  yield { name: 'xdp size 9000 data_size_out 5480', prog: xdp, req: req({ dataIn: frame(9000), dataSizeOut: 5480 }) };
  yield { name: 'xdp size 13 with ctx data_end 13', prog: xdp, req: req({ dataIn: frame(13), ctxIn: md(0, 13), dataSizeOut: OUT, ctxSizeOut: 24 }) };
  yield { name: 'xdp size 9000 data_size_out 3000', prog: xdp, req: req({ dataIn: frame(9000), dataSizeOut: 3000 }) };
  const xdpCtx = [
    ['plain', md(0, 64)], ['meta 8', md(8, 64)], ['meta 3', md(3, 64)], ['meta 32', md(32, 64)], ['meta 36', md(36, 64)],
    ['meta 40', md(40, 300)], ['meta 64', md(64, 300)], ['meta 128', md(128, 300)], ['meta 212', md(212, 300)], ['meta 216', md(216, 300)],
    ['meta 220', md(220, 300)], ['meta 248', md(248, 300)], ['meta 252', md(252, 300)], ['data_end 0', md(0, 0)], ['data_end 13', md(0, 13)],
    ['data_end 14 of 9000', md(0, 14, 0, 0, 0, 0, 9000)], ['data_end 4000 of 9000', md(0, 4000, 0, 0, 0, 0, 9000)], ['data_end 65 of 64', md(0, 65, 0, 0, 0, 0, 64)],
    ['meta 8 data_end 8', md(8, 8)], ['meta 256', md(256, 300)], ['data_meta 4', md(0, 64, 4)], ['data_end 63', md(0, 63)], ['data_end 65', md(0, 65)],
    ['data > data_end', md(68, 64)], ['ingress 1', md(0, 64, 0, 1)], ['ingress 1 queue 1', md(0, 64, 0, 1, 1)],
    ['queue 1 without ingress', md(0, 64, 0, 0, 1)], ['ingress 9999', md(0, 64, 0, 9999)], ['egress 1', md(0, 64, 0, 0, 0, 1)],
  ];
  for (const [what, ctxAndSize] of xdpCtx) {
    const ctx = ctxAndSize.subarray(0, 24);
    const size = ctxAndSize.length > 24 ? new DataView(ctxAndSize.buffer).getUint32(24, true) : new DataView(ctx.buffer).getUint32(4, true);
    yield { name: `xdp ctx ${what}`, prog: xdp, req: req({ dataIn: frame(ctxAndSize.length > 24 ? size : size >= 64 ? size : 64), ctxIn: ctx, dataSizeOut: OUT, ctxSizeOut: 24 }) };
  }
  yield { name: 'xdp ctx_out only', prog: xdp, req: req({ dataIn: frame(64), dataSizeOut: OUT, ctxSizeOut: 24 }) };
  yield { name: 'xdp ctx_size_out 8', prog: xdp, req: req({ dataIn: frame(64), ctxIn: md(8, 64), dataSizeOut: OUT, ctxSizeOut: 8 }) };
  yield { name: 'xdp repeat 4', prog: xdp, req: req({ dataIn: frame(64), dataSizeOut: OUT, repeat: 4 }) };
  for (const flags of [1, 4]) yield { name: `xdp flags ${flags}`, prog: xdp, req: req({ dataIn: frame(64), dataSizeOut: OUT, flags }) };
  yield { name: 'xdp cpu 1', prog: xdp, req: req({ dataIn: frame(64), dataSizeOut: OUT, cpu: 1 }) };
  yield { name: 'xdp batch_size without live', prog: xdp, req: req({ dataIn: frame(64), dataSizeOut: OUT, batchSize: 4 }) };
  const drop = { type: T.XDP, text: P.ret(1) };
  yield { name: 'xdp live drop repeat 3', prog: drop, req: req({ dataIn: frame(64), flags: 2, repeat: 3 }) };
  yield { name: 'xdp live batch 257', prog: drop, req: req({ dataIn: frame(64), flags: 2, batchSize: 257 }) };
  yield { name: 'xdp live size 4000', prog: drop, req: req({ dataIn: frame(4000), flags: 2 }) };
  for (const [which, deltas] of [['head', [-216, -217, -256, -1, 0, 1, 50, 51]], ['tail', [-50, -51, 1, 3456, 3457, 10000]], ['meta', [-4, -32, -36, -216, -220, -256, -3, 4]]]) {
    for (const d of deltas) {
      yield { name: `xdp adjust_${which} ${d} on 64 bytes`, prog: { type: T.XDP, text: P.xdpAdjust(which, d) }, req: req({ dataIn: frame(64), dataSizeOut: OUT }) };
    }
  }
  yield { name: 'xdp adjust_head -200 with 16 bytes meta', prog: { type: T.XDP, text: P.xdpAdjust('head', -200) }, req: req({ dataIn: frame(80), ctxIn: md(16, 80), dataSizeOut: OUT, ctxSizeOut: 24 }) };
  yield { name: 'xdp adjust_head -201 with 16 bytes meta', prog: { type: T.XDP, text: P.xdpAdjust('head', -201) }, req: req({ dataIn: frame(80), ctxIn: md(16, 80), dataSizeOut: OUT, ctxSizeOut: 24 }) };
  yield { name: 'xdp adjust_head -8 after meta -8', prog: { type: T.XDP, text: P.xdpAdjust2('meta', -8, 'head', -8) }, req: req({ dataIn: frame(64), ctxIn: md(0, 64), dataSizeOut: OUT, ctxSizeOut: 24 }) };
  yield { name: 'xdp adjust_head 8 after meta -8', prog: { type: T.XDP, text: P.xdpAdjust2('meta', -8, 'head', 8) }, req: req({ dataIn: frame(64), ctxIn: md(0, 64), dataSizeOut: OUT, ctxSizeOut: 24 }) };
  yield { name: 'xdp adjust_tail 100 on data_end 63 of 64', prog: { type: T.XDP, text: P.xdpAdjust('tail', 100) }, req: req({ dataIn: frame(64), ctxIn: md(0, 63), dataSizeOut: OUT }) };
  yield { name: 'xdp adjust_tail -1 on data_end 63 of 64', prog: { type: T.XDP, text: P.xdpAdjust('tail', -1) }, req: req({ dataIn: frame(64), ctxIn: md(0, 63), dataSizeOut: OUT }) };
  yield { name: 'xdp meta -8 then head -8', prog: { type: T.XDP, text: P.xdpAdjust2('meta', -8, 'head', -8) }, req: req({ dataIn: frame(64), dataSizeOut: OUT, ctxSizeOut: 24 }) };
  yield { name: 'xdp meta -8 then head 8', prog: { type: T.XDP, text: P.xdpAdjust2('meta', -8, 'head', 8) }, req: req({ dataIn: frame(64), dataSizeOut: OUT, ctxSizeOut: 24 }) };
  yield { name: 'xdp adjust_tail -100 on frags', prog: { type: T.XDP, flags: 1 << 5, text: P.xdpAdjust('tail', -100) }, req: req({ dataIn: frame(9000), dataSizeOut: OUT }) };
  yield { name: 'xdp adjust_tail 100 on frags', prog: { type: T.XDP, flags: 1 << 5, text: P.xdpAdjust('tail', 100) }, req: req({ dataIn: frame(9000), dataSizeOut: OUT }) };
  yield { name: 'xdp adjust_tail -5500 on frags', prog: { type: T.XDP, flags: 1 << 5, text: P.xdpAdjust('tail', -5500) }, req: req({ dataIn: frame(9000), dataSizeOut: OUT }) };
  yield { name: 'xdp devmap program', prog: { type: T.XDP, attach: 33, text: P.ret(2) }, req: req({ dataIn: frame(64), dataSizeOut: OUT }) };
  yield { name: 'xdp redirect 1 flags 0', prog: { type: T.XDP, text: 'r1 = 1\nr2 = 0\ncall 23\nexit' }, req: req({ dataIn: frame(64) }) };
  yield { name: 'xdp redirect 1 flags 1', prog: { type: T.XDP, text: 'r1 = 1\nr2 = 1\ncall 23\nexit' }, req: req({ dataIn: frame(64) }) };
  yield { name: 'tc redirect 1 flags 1', prog: { type: T.SCHED_CLS, text: 'r1 = 1\nr2 = 1\ncall 23\nexit' }, req: req({ dataIn: frame(64) }) };
  yield { name: 'tc redirect 1 flags 2', prog: { type: T.SCHED_CLS, text: 'r1 = 1\nr2 = 2\ncall 23\nexit' }, req: req({ dataIn: frame(64) }) };

  // --- raw tracepoint
  const rtp = { type: T.RAW_TRACEPOINT, text: P.rawTpSum };
  yield { name: 'raw_tp args 16 bytes', prog: rtp, req: req({ ctxIn: u64s(40, 2) }) };
  yield { name: 'raw_tp args 96 bytes', prog: rtp, req: req({ ctxIn: u64s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12) }) };
  yield { name: 'raw_tp args 104 bytes', prog: rtp, req: req({ ctxIn: u64s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13) }) };
  yield { name: 'raw_tp args 8 bytes (program reads 16)', prog: rtp, req: req({ ctxIn: u64s(1) }) };
  yield { name: 'raw_tp repeat 1', prog: rtp, req: req({ ctxIn: u64s(1, 2), repeat: 1 }) };
  yield { name: 'raw_tp data_in', prog: rtp, req: req({ ctxIn: u64s(1, 2), dataIn: frame(64) }) };
  yield { name: 'raw_tp ctx_out', prog: rtp, req: req({ ctxIn: u64s(1, 2), ctxSizeOut: 16 }) };
  yield { name: 'raw_tp batch_size', prog: rtp, req: req({ ctxIn: u64s(1, 2), batchSize: 1 }) };
  const rtpCpu = { type: T.RAW_TRACEPOINT, text: P.rawTpCpu };
  yield { name: 'raw_tp cpu 1 without flag', prog: rtpCpu, req: req({ cpu: 1 }) };
  yield { name: 'raw_tp on cpu 1', prog: rtpCpu, req: req({ cpu: 1, flags: 1 }) };
  yield { name: 'raw_tp on cpu 0', prog: rtpCpu, req: req({ cpu: 0, flags: 1 }) };
  yield { name: 'raw_tp on cpu 4096', prog: rtpCpu, req: req({ cpu: 4096, flags: 1 }) };
  yield { name: 'raw_tp flags 2', prog: { type: T.RAW_TRACEPOINT, text: P.ret(7) }, req: req({ flags: 2 }) };
  yield { name: 'raw_tp no ctx', prog: { type: T.RAW_TRACEPOINT, text: P.ret(7) }, req: req({}) };

  // --- syscall
  const sc = { type: T.SYSCALL, flags: 1 << 4, text: P.syscallEcho };
  yield { name: 'syscall ctx 8 bytes', prog: sc, req: req({ ctxIn: u32s(41, 7) }) };
  yield { name: 'syscall ctx 64 bytes', prog: sc, req: req({ ctxIn: u32s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16) }) };
  yield { name: 'syscall ctx 4 bytes (program reads 8)', prog: sc, req: req({ ctxIn: u32s(1) }) };
  yield { name: 'syscall ctx_out', prog: sc, req: req({ ctxIn: u32s(1, 2), ctxSizeOut: 8 }) };
  yield { name: 'syscall repeat', prog: sc, req: req({ ctxIn: u32s(1, 2), repeat: 2 }) };
  yield { name: 'syscall flags', prog: sc, req: req({ ctxIn: u32s(1, 2), flags: 1 }) };
  yield { name: 'syscall data_in', prog: sc, req: req({ ctxIn: u32s(1, 2), dataIn: frame(64) }) };
  yield { name: 'syscall no ctx', prog: { type: T.SYSCALL, flags: 1 << 4, text: P.ret(9) }, req: req({}) };

  // --- flow dissector
  const fd = { type: T.FLOW_DISSECTOR, text: P.flowEcho };
  for (const size of [0, 13, 14, 64, 1500, 4096, 4097]) yield { name: `flow_dissector size ${size}`, prog: fd, req: req({ dataIn: frame(size), dataSizeOut: OUT }) };
  yield { name: 'flow_dissector ctx flags', prog: fd, req: req({ dataIn: frame(64), ctxIn: (() => { const b = new Uint8Array(56); b[48] = 1; return b; })(), dataSizeOut: OUT, ctxSizeOut: 56 }) };
  yield { name: 'flow_dissector ctx nhoff', prog: fd, req: req({ dataIn: frame(64), ctxIn: (() => { const b = new Uint8Array(56); b[0] = 1; return b; })(), dataSizeOut: OUT, ctxSizeOut: 56 }) };
  yield { name: 'flow_dissector repeat 3', prog: fd, req: req({ dataIn: frame(64), dataSizeOut: OUT, repeat: 3 }) };
  yield { name: 'flow_dissector data_size_out 8', prog: fd, req: req({ dataIn: frame(64), dataSizeOut: 8 }) };
  yield { name: 'flow_dissector flags 1', prog: fd, req: req({ dataIn: frame(64), dataSizeOut: OUT, flags: 1 }) };
  yield { name: 'flow_dissector load_bytes', prog: { type: T.FLOW_DISSECTOR, text: 'r6 = r1\nr2 = 0\nr3 = r10\nr3 += -8\nr4 = 4\ncall 26\nexit' }, req: req({ dataIn: frame(64), dataSizeOut: OUT }) };

  // --- sk_lookup
  const skl = { type: T.SK_LOOKUP, attach: 36, text: P.skLookupPort80 };
  const lk = (family, port, extra = []) => skBuff([[8, family], [12, 6], [16, 0x0100000a], [36, 0x5000], [40, 0x0200000a], [60, port], ...extra], 72);
  yield { name: 'sk_lookup inet port 80', prog: skl, req: req({ ctxIn: lk(2, 80), ctxSizeOut: 72 }) };
  yield { name: 'sk_lookup inet port 81', prog: skl, req: req({ ctxIn: lk(2, 81), ctxSizeOut: 72 }) };
  yield { name: 'sk_lookup inet6 port 80', prog: skl, req: req({ ctxIn: lk(10, 80), ctxSizeOut: 72 }) };
  yield { name: 'sk_lookup family 1', prog: skl, req: req({ ctxIn: lk(1, 80), ctxSizeOut: 72 }) };
  yield { name: 'sk_lookup port 65536', prog: skl, req: req({ ctxIn: lk(2, 65536), ctxSizeOut: 72 }) };
  yield { name: 'sk_lookup sk set', prog: skl, req: req({ ctxIn: lk(2, 80, [[0, 1]]), ctxSizeOut: 72 }) };
  yield { name: 'sk_lookup ingress_ifindex set', prog: skl, req: req({ ctxIn: lk(2, 80, [[64, 1]]), ctxSizeOut: 72 }) };
  yield { name: 'sk_lookup no ctx', prog: skl, req: req({}) };
  yield { name: 'sk_lookup data', prog: skl, req: req({ ctxIn: lk(2, 80), dataIn: frame(64) }) };
  // Every field the program sees, stored in an array map the recorder reads back after the run.
  const skFields = [8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64];
  const dump = [
    'r6 = r1', 'r1 = 0', '*(u32 *)(r10 -4) = r1', P.mapRef(1, 0), 'r2 = r10', 'r2 += -4', 'call 1', 'if r0 == 0 goto out',
    ...skFields.flatMap((off, i) => [`r1 = *(u32 *)(r6 +${off})`, `*(u32 *)(r0 +${4 * i}) = r1`]),
    'out:', 'r0 = 1', 'exit',
  ].join('\n');
  const lk6 = () => skBuff([[8, 10], [12, 17], [20, 0x11111111], [32, 0x22222222], [36, 0x5000], [44, 0x33333333], [56, 0x44444444], [60, 443]], 72);
  const dumpProg = (tag) => ({ type: T.SK_LOOKUP, attach: 36, text: dump, maps: [m(2, 4, 64, 1)], tag });
  yield { name: 'sk_lookup context as the program sees it (inet)', prog: dumpProg('inet'), req: req({ ctxIn: lk(2, 80) }) };
  yield { name: 'sk_lookup context as the program sees it (inet6)', prog: dumpProg('inet6'), req: req({ ctxIn: lk6() }) };
  yield { name: 'sk_lookup repeat 2', prog: skl, req: req({ ctxIn: lk(2, 80), ctxSizeOut: 72, repeat: 2 }) };

  // --- netfilter
  const nf = { type: T.NETFILTER, attach: 45, text: P.ret(1) };
  const ipOnly = frame(64).slice(14);
  const hs = (hook, pf, extra = []) => skBuff([[0, hook, 1], [1, pf, 1], ...extra], 48);
  yield { name: 'netfilter local_out ipv4 no ctx', prog: nf, req: req({ dataIn: ipOnly }) };
  yield { name: 'netfilter size 19', prog: nf, req: req({ dataIn: ipOnly.slice(0, 19) }) };
  yield { name: 'netfilter pre_routing ipv4 frame', prog: nf, req: req({ dataIn: frame(64), ctxIn: hs(0, 2) }) };
  yield { name: 'netfilter pre_routing pf ipv6 with ipv4 frame', prog: nf, req: req({ dataIn: frame(64), ctxIn: hs(0, 10) }) };
  yield { name: 'netfilter pre_routing arp', prog: nf, req: req({ dataIn: frame(64, { etherType: 0x0806 }), ctxIn: hs(0, 2) }) };
  yield { name: 'netfilter pf 7', prog: nf, req: req({ dataIn: frame(64), ctxIn: hs(0, 7) }) };
  yield { name: 'netfilter in set', prog: nf, req: req({ dataIn: frame(64), ctxIn: hs(0, 2, [[8, 1]]) }) };

  // --- types without test_run
  yield { name: 'kprobe has no test_run', prog: { type: T.KPROBE, text: P.ret(0) }, req: req({}) };
  yield { name: 'tracepoint has no test_run', prog: { type: T.TRACEPOINT, text: P.ret(0) }, req: req({}) };
  yield { name: 'cgroup_sock_addr has no test_run', prog: { type: T.CGROUP_SOCK_ADDR, attach: 10, text: P.ret(1) }, req: req({}) };
  yield { name: 'cgroup_sock has no test_run', prog: { type: T.CGROUP_SOCK, text: P.ret(1) }, req: req({}) };
  yield { name: 'sk_skb has no test_run', prog: { type: T.SK_SKB, text: P.ret(1) }, req: req({ dataIn: frame(64) }) };
  yield { name: 'sock_ops has no test_run', prog: { type: T.SOCK_OPS, text: P.ret(1) }, req: req({}) };

  // --- map helpers (each program has its own fresh maps)
  yield { name: 'array map helpers', prog: { type: T.SCHED_CLS, text: P.arrayOps, maps: [m(2, 4, 8, 4)] }, req: req({ dataIn: frame(64), ctxSizeOut: 192 }) };
  yield { name: 'hash map helpers', prog: { type: T.SCHED_CLS, text: P.hashOps, maps: [m(1, 4, 8, 4)] }, req: req({ dataIn: frame(64), ctxSizeOut: 192 }) };
  yield { name: 'queue map helpers', prog: { type: T.SCHED_CLS, text: P.queueOps, maps: [m(22, 0, 4, 2)] }, req: req({ dataIn: frame(64), ctxSizeOut: 192 }) };
  yield { name: 'stack map helpers', prog: { type: T.SCHED_CLS, text: P.queueOps + '\n', maps: [m(23, 0, 4, 2)] }, req: req({ dataIn: frame(64), ctxSizeOut: 192 }) };
  yield { name: 'ringbuf helpers', prog: { type: T.SCHED_CLS, text: P.ringbufOps, maps: [m(27, 0, 0, 4096)] }, req: req({ dataIn: frame(64), ctxSizeOut: 192 }) };
  yield { name: 'perf_event_output on an empty perf event array', prog: { type: T.SCHED_CLS, text: P.perfOps, maps: [m(4, 4, 4, 4)] }, req: req({ dataIn: frame(64), ctxSizeOut: 192 }) };
  yield { name: 'for_each_map_elem over an array', prog: { type: T.XDP, text: P.forEachOps.text, maps: [m(2, 4, 8, 4)], ...callbackPatch(P.forEachOps.text) }, req: req({ dataIn: frame(64) }) };

  // --- more packet helpers
  const big = frame(9000);
  yield { name: 'xdp_get_buff_len with frags', prog: { type: T.XDP, text: P.xdpBuffLen }, req: req({ dataIn: big }) };
  yield { name: 'xdp_get_buff_len linear', prog: { type: T.XDP, text: P.xdpBuffLen }, req: req({ dataIn: frame(100) }) };
  for (const [off, len] of [[0, 4], [3518, 8], [5000, 4], [8996, 4], [8997, 4], [0x10000, 4], [0, 16]]) {
    yield { name: `xdp_load_bytes ${off} ${len} of 9000`, prog: { type: T.XDP, text: P.xdpLoadBytes(off, len) }, req: req({ dataIn: big }) };
    yield { name: `xdp_store_bytes ${off} ${len} of 9000`, prog: { type: T.XDP, text: P.xdpStoreBytes(off, len) }, req: req({ dataIn: big, dataSizeOut: OUT }) };
  }
  yield { name: 'xdp_load_bytes 60 8 of 64', prog: { type: T.XDP, text: P.xdpLoadBytes(60, 8) }, req: req({ dataIn: frame(64) }) };
  for (const len of [0, 64, 65]) yield { name: `skb_pull_data ${len} of 64`, prog: { type: T.SCHED_CLS, text: P.skbCall(39, len) }, req: req({ dataIn: frame(64) }) };
  yield { name: 'csum_update without checksum complete', prog: { type: T.SCHED_CLS, text: P.skbCall(40, 0x1234) }, req: req({ dataIn: frame(64) }) };
  yield { name: 'csum_update 0 with checksum complete', prog: { type: T.SCHED_CLS, text: P.skbCall(40, 0) }, req: req({ dataIn: frame(64), flags: 4 }) };
  yield { name: 'csum_update 0x1234 with checksum complete', prog: { type: T.SCHED_CLS, text: P.skbCall(40, 0x1234) }, req: req({ dataIn: frame(64), flags: 4 }) };
  for (const level of [0, 1, 2, 3, 4]) yield { name: `csum_level ${level}`, prog: { type: T.SCHED_CLS, text: P.skbCall(135, level) }, req: req({ dataIn: frame(64) }) };
  yield { name: 'csum_level inc then query', prog: { type: T.SCHED_CLS, text: P.csumLevelIncQuery }, req: req({ dataIn: frame(64) }) };
  yield { name: 'csum_level inc dec then query', prog: { type: T.SCHED_CLS, text: P.csumLevelIncDecQuery }, req: req({ dataIn: frame(64) }) };
  yield { name: 'csum_level inc then query, checksum complete', prog: { type: T.SCHED_CLS, text: P.csumLevelIncQuery }, req: req({ dataIn: frame(64), flags: 4 }) };
  yield { name: 'set_hash_invalid', prog: { type: T.SCHED_CLS, text: P.skbCall(41, 0) }, req: req({ dataIn: frame(64) }) };
  yield { name: 'get_numa_node_id', prog: { type: T.XDP, text: 'call 42\nexit' }, req: req({ dataIn: frame(64) }) };
  yield { name: 'skb_store_bytes recompute into the MAC header, checksum complete', prog: { type: T.SCHED_CLS, text: P.skbStoreBytes(2, 4, 1) }, req: req({ dataIn: pkt, dataSizeOut: OUT, flags: 4 }) };
  yield { name: 'skb_store_bytes recompute at an odd offset, checksum complete', prog: { type: T.SCHED_CLS, text: P.skbStoreBytes(21, 4, 1) }, req: req({ dataIn: pkt, dataSizeOut: OUT, flags: 4 }) };
  for (const [what, off, from, to, flags] of [
    ['l4 pseudo 4 bytes', 40, '0x0100000a', '0x0300000a', 4 | 16], ['l4 4 bytes', 40, '0x0100000a', '0x0300000a', 4],
    ['l4 pseudo diff', 40, '0', '0x1234', 16], ['l4 pseudo diff ipv6', 40, '0', '0x1234', 16 | 128], ['l3 4 bytes', 24, '0x0100000a', '0x0300000a', 4],
  ]) {
    yield { name: `csum_replace ${what}, checksum complete`, prog: { type: T.SCHED_CLS, text: P.csumReplace(what.startsWith('l4'), off, from, to, flags) }, req: req({ dataIn: frame(64), dataSizeOut: OUT, flags: 4 }) };
  }

  for (const [newLen, flags] of [[0, 0], [13, 0], [14, 0], [63, 0], [100, 0], [4000, 0], [16064, 0], [16065, 0], [64, 1]]) {
    yield { name: `skb_change_tail ${newLen} flags ${flags}`, prog: { type: T.SCHED_CLS, text: P.skbCall(38, newLen).replace('call 38', `r3 = ${flags}\ncall 38`) }, req: req({ dataIn: frame(64), dataSizeOut: OUT }) };
  }
  yield { name: 'skb_change_tail 0 on lwt_xmit', prog: { type: T.LWT_XMIT, text: P.skbCall(38, 0).replace('call 38', 'r3 = 0\ncall 38') }, req: req({ dataIn: frame(64), dataSizeOut: OUT }) };
  for (const [type, tname] of [[T.SCHED_CLS, 'sched_cls'], [T.SOCKET_FILTER, 'socket_filter']]) {
    for (const [off, len, header] of [[0, 4, 0], [0, 4, 1], [60, 4, 0], [61, 4, 0], [46, 4, 1], [47, 4, 1], [0x10000, 4, 0], [0, 4, 2]]) {
      yield { name: `${tname} skb_load_bytes_relative ${off} ${len} header ${header}`, prog: { type, text: P.skbLoadBytesRelative(off, len, header) }, req: req({ dataIn: frame(64) }) };
    }
  }

  for (const [tname, type] of [['sched_cls', T.SCHED_CLS], ['cgroup_skb', T.CGROUP_SKB], ['socket_filter', T.SOCKET_FILTER]]) {
    yield { name: `${tname} skb->sk of an IPv4 packet`, prog: { type, text: type === T.CGROUP_SKB ? P.skbSock.replace(/exit$/, 'r0 &= 1\nexit') : P.skbSock }, req: req({ dataIn: frame(64), ctxSizeOut: 192 }) };
    yield { name: `${tname} skb->sk of an ARP packet`, prog: { type, text: type === T.CGROUP_SKB ? P.skbSock.replace(/exit$/, 'r0 &= 1\nexit') : P.skbSock }, req: req({ dataIn: frame(64, { etherType: 0x0806 }), ctxSizeOut: 192 }) };
  }

  // --- dynptrs
  for (const [size, flags] of [[64, 0], [9000, 0], [64, 1]]) {
    const k = P.xdpDynptrSize(flags);
    yield { name: `dynptr_from_xdp ${size} bytes flags ${flags}`, prog: { type: T.XDP, text: k.text, kfuncs: k.kfuncs }, req: req({ dataIn: frame(size) }) };
  }
  for (const [off, len] of [[0, 4], [60, 4], [61, 4], [0, 0]]) {
    const k = P.skbDynptrRead(off, len);
    yield { name: `dynptr_read skb ${off} ${len}`, prog: { type: T.SCHED_CLS, text: k.text, kfuncs: k.kfuncs }, req: req({ dataIn: frame(64) }) };
  }
  for (const [type, tname, off, len, flags] of [[T.SCHED_CLS, 'sched_cls', 2, 4, 0], [T.SCHED_CLS, 'sched_cls', 61, 4, 0], [T.SCHED_CLS, 'sched_cls', 2, 4, 4], [T.SCHED_CLS, 'sched_cls', 2, 4, 2], [T.SOCKET_FILTER, 'socket_filter', 2, 4, 0], [T.CGROUP_SKB, 'cgroup_skb', 2, 4, 0]]) {
    const k = P.skbDynptrWrite(off, len, flags);
    yield { name: `dynptr_write ${tname} ${off} ${len} flags ${flags}`, prog: { type, text: type === T.CGROUP_SKB ? k.text.replace(/exit$/, 'r0 &= 1\nexit') : k.text, kfuncs: k.kfuncs }, req: req({ dataIn: frame(64), dataSizeOut: OUT }) };
  }
  for (const [size, off, buf] of [[64, 0, false], [64, 61, false], [9000, 3518, false], [9000, 3518, true], [9000, 5000, true]]) {
    const k = P.xdpDynptrSlice(off, buf);
    yield { name: `dynptr_slice xdp ${size} at ${off}${buf ? ' with a buffer' : ''}`, prog: { type: T.XDP, text: k.text, kfuncs: k.kfuncs }, req: req({ dataIn: frame(size) }) };
  }
  for (const [size, start, end] of [[16, 0, 16], [16, 2, 10], [16, 10, 2], [16, 0, 17], [8, 0, 2]]) {
    const k = P.memDynptr(size, start, end);
    yield { name: `dynptr_from_mem ${size} adjust ${start}..${end}`, prog: { type: T.XDP, text: k.text, kfuncs: k.kfuncs, maps: [m(2, 4, 16, 1)] }, req: req({ dataIn: frame(64) }) };
  }
  for (const size of [8, 16, 4072, 4080, 4088, 4096, 5000]) {
    yield { name: `ringbuf_reserve_dynptr ${size}`, prog: { type: T.SCHED_CLS, text: P.ringbufDynptr(size), maps: [m(27, 0, 0, 4096)] }, req: req({ dataIn: frame(64) }) };
  }

  // --- kfuncs
  for (const [start, end] of [[0, 5], [3, 3], [5, 2], [-2, 2], [0, (1 << 23) + 1]]) {
    const k = P.iterNumSum(start, end);
    yield { name: `bpf_iter_num ${start}..${end}`, prog: { type: T.XDP, text: k.text, kfuncs: k.kfuncs }, req: req({ dataIn: frame(64) }) };
  }
  // --- probe_read (raw tracepoints; the first byte read lands in bits 24..31 of retval)
  for (const [which, size, addr] of [['kernel', 8, 'stack'], ['kernel', 8, '0'], ['kernel', 8, '0x1000'], ['user', 8, '0'], ['kernel_str', 8, 'stack'], ['kernel_str', 4, 'stack'], ['kernel_str', 8, '0'], ['user_str', 8, '0']]) {
    yield { name: `probe_read_${which} ${size} bytes from ${addr}`, prog: { type: T.RAW_TRACEPOINT, text: P.probeRead(which, size, addr) }, req: req({}) };
  }

  // --- helpers
  const bytes = (...b) => b;
  for (const [what, from, fs, to, ts, seed] of [
    ['4 to 4', bytes(1, 2, 3, 4), 4, bytes(5, 6, 7, 8), 4, 0],
    ['8 to 8 seed', bytes(0xff, 0xff, 0, 1, 2, 3, 4, 5), 8, bytes(9, 8, 7, 6, 5, 4, 3, 2), 8, 0x12345678],
    ['0 to 8', [], 0, bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 8, 0],
    ['8 to 0', bytes(1, 0, 0, 0, 0, 0, 0, 0), 8, [], 0, 1],
    ['carry', bytes(0, 0, 0, 0), 4, bytes(0xff, 0xff, 0xff, 0xff), 4, 0xffffffff],
    ['size 3', bytes(1, 2, 3, 4), 3, bytes(1, 2, 3, 4), 4, 0],
    ['size 6', bytes(1, 2, 3, 4, 5, 6, 7, 8), 8, bytes(1, 2, 3, 4, 5, 6, 7, 8), 6, 0],
    ['both 0', [], 0, [], 0, 77],
  ]) {
    yield { name: `csum_diff ${what}`, prog: { type: T.SCHED_CLS, text: P.csumDiff(from, fs, to, ts, seed) }, req: req({ dataIn: frame(64) }) };
  }
  // IPv4 header checksum at frame offset 24, UDP checksum at 40 (zero in our frames).
  for (const [what, l4, off, from, to, flags] of [
    ['l3 4 bytes', false, 24, '0x0100000a', '0x0300000a', 4],
    ['l3 2 bytes', false, 24, '0x4000', '0x3f00', 2],
    ['l3 diff', false, 24, '0', '0x1234', 0],
    ['l3 diff with from', false, 24, '1', '0x1234', 0],
    ['l3 size 3', false, 24, '1', '2', 3],
    ['l3 odd offset', false, 25, '1', '2', 4],
    ['l3 offset past packet', false, 64, '1', '2', 4],
    ['l3 offset 62', false, 62, '0x0100000a', '0x0300000a', 4],
    ['l3 pseudo flag', false, 24, '1', '2', 4 | 16],
    ['l4 4 bytes', true, 40, '0x0100000a', '0x0300000a', 4],
    ['l4 2 bytes', true, 24, '0x4000', '0x3f00', 2],
    ['l4 pseudo', true, 24, '0x0100000a', '0x0300000a', 4 | 16],
    ['l4 mangled 0 on zero', true, 40, '0x0100000a', '0x0300000a', 4 | 32],
    ['l4 mangled 0 enforce', true, 40, '0x0100000a', '0x0300000a', 4 | 32 | 64],
    ['l4 result 0 mangled', true, 40, '0', '0xffff', 2 | 32 | 64],
    ['l4 bad flag', true, 40, '1', '2', 4 | 256],
    ['l4 ipv6 flag', true, 40, '1', '2', 4 | 128],
  ]) {
    yield { name: `csum_replace ${what}`, prog: { type: T.SCHED_CLS, text: P.csumReplace(l4, off, from, to, flags) }, req: req({ dataIn: frame(64), dataSizeOut: OUT }) };
  }
  for (const [off, len, flags] of [[0, 4, 0], [60, 4, 0], [61, 4, 0], [10, 16, 1], [10, 4, 2], [10, 4, 4]]) {
    yield { name: `skb_store_bytes off ${off} len ${len} flags ${flags}`, prog: { type: T.SCHED_CLS, text: P.skbStoreBytes(off, len, flags) }, req: req({ dataIn: frame(64), dataSizeOut: OUT, ctxSizeOut: 192 }) };
  }
  for (const [off, len] of [[0, 4], [60, 4], [61, 4], [0x7fffffff, 4]]) {
    yield { name: `skb_load_bytes off ${off} len ${len}`, prog: { type: T.SCHED_CLS, text: P.skbLoadBytes(off, len) }, req: req({ dataIn: frame(64), ctxSizeOut: 192 }) };
  }
  for (const [signed, text, len, flags] of [
    [true, '123', 3, 10], [true, '  -42xyz', 8, 0], [true, '0x1f', 4, 0], [true, '0x1f', 4, 16], [true, '017', 3, 0],
    [true, '-', 1, 10], [true, '', 1, 10], [true, '9223372036854775807', 19, 10], [true, '9223372036854775808', 19, 10],
    [true, '-9223372036854775808', 20, 10], [true, '-9223372036854775809', 20, 10], [true, '99999999999999999999', 20, 10],
    [true, '12', 2, 32], [true, '12', 2, 3], [true, 'zz', 2, 36 & 31], [false, '-1', 2, 10], [false, '18446744073709551615', 20, 10],
    [false, '18446744073709551616', 20, 10], [false, ' \t42', 4, 0], [true, '0x', 2, 0], [true, '0x', 2, 16], [true, '0xg', 3, 0],
  ]) {
    yield { name: `${signed ? 'strtol' : 'strtoul'} ${JSON.stringify(text)} len ${len} base ${flags}`, prog: { type: T.SCHED_CLS, text: P.strtox(signed, text, len, flags) }, req: req({ dataIn: frame(64), ctxSizeOut: 192 }) };
  }
  for (const [nr, flags, stopAt] of [[10, 0, 99], [10, 0, 3], [0, 0, 0], [10, 1, 99], [(1 << 23) + 1, 0, 0], [1 << 23, 0, 0]]) {
    const l = P.bpfLoop(nr, flags, stopAt);
    yield { name: `bpf_loop nr ${nr} flags ${flags} stop at ${stopAt}`, prog: { type: T.XDP, text: l.text, patches: l.patches, callbackAt: 8 }, req: req({ dataIn: frame(64) }) };
  }
  const enc = (s) => Buffer.from(new TextEncoder().encode(s + '\0')).toString('hex');
  for (const [fmt, args, outSize] of [
    ['a=%d b=%u', [-5, -5], 64], ['%x %X %lx', [255, 255, -1n], 64], ['%llu %lld', [-1n, -1n], 64], ['%5d|%-5d|%05d', [42, 42, -42], 64],
    ['%c%c', [0x41, 0x42], 64], ['%pI4', [0], 64], ['100%%', [], 64], ['%d', [], 64], ['%s', [1], 64], ['%.2d', [1], 64], ['%hd', [1], 64],
    ['%d %d', [1], 64], ['long text that is longer than the buffer', [], 8], ['%+d % d', [5, 5], 64], ['%p', [0x1234], 64], ['%px', [0x1234], 64],
  ]) {
    const s = P.snprintf(args, outSize);
    yield { name: `snprintf ${JSON.stringify(fmt)} ${outSize}`, prog: { type: T.SCHED_CLS, text: s.text, rodata: enc(fmt) }, req: req({ dataIn: frame(64), ctxSizeOut: 192 }) };
  }
}
