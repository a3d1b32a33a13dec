#!/usr/bin/env node
// Builds the test frames the examples' steps files use, as lowercase hex.
//
//   node examples/tools/packets.mjs            # every named frame: name, length, hex
//   node examples/tools/packets.mjs udp_8080   # one frame's hex
//   node examples/tools/packets.mjs --check HEX
//        # decodes an Ethernet frame and checks its IPv4 / TCP / UDP checksums
//
// Lengths and checksums are computed, never typed in, so a frame here is one a
// kernel would accept.

import { fileURLToPath } from 'node:url';

const MAC_A = '02000000000a';
const MAC_B = '02000000000b';

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const ip4 = (s) => s.split('.').map(Number);
const u16 = (v) => [(v >> 8) & 0xff, v & 0xff];
const u32 = (v) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/** The Internet checksum (RFC 1071) of a byte array. */
function csum(bytes) {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ether(type, payload, { dst = MAC_B, src = MAC_A } = {}) {
  return [...Buffer.from(dst, 'hex'), ...Buffer.from(src, 'hex'), ...u16(type), ...payload];
}

function ipv4({ src, dst, proto, payload, ttl = 64, id = 1, fragOffset = 0, moreFragments = false }) {
  const flagsFrag = (moreFragments ? 0x2000 : 0) | (fragOffset & 0x1fff);
  const h = [0x45, 0, ...u16(20 + payload.length), ...u16(id), ...u16(flagsFrag), ttl, proto, 0, 0, ...ip4(src), ...ip4(dst)];
  const c = csum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return [...h, ...payload];
}

/** The IPv4 pseudo-header sum for a TCP or UDP checksum. */
function pseudo4(src, dst, proto, len) {
  return [...ip4(src), ...ip4(dst), 0, proto, ...u16(len)];
}

function udp4({ src, dst, sport, dport, data = [], zeroCsum = false, ...ip }) {
  const seg = [...u16(sport), ...u16(dport), ...u16(8 + data.length), 0, 0, ...data];
  if (!zeroCsum) {
    const c = csum([...pseudo4(src, dst, 17, seg.length), ...seg]) || 0xffff;
    seg[6] = c >> 8;
    seg[7] = c & 0xff;
  }
  return ipv4({ src, dst, proto: 17, payload: seg, ...ip });
}

function tcp4({ src, dst, sport, dport, seq = 1, ack = 0, flags = 0x02, data = [], ...ip }) {
  const seg = [...u16(sport), ...u16(dport), ...u32(seq), ...u32(ack), 0x50, flags, ...u16(64240), 0, 0, 0, 0, ...data];
  const c = csum([...pseudo4(src, dst, 6, seg.length), ...seg]);
  seg[16] = c >> 8;
  seg[17] = c & 0xff;
  return ipv4({ src, dst, proto: 6, payload: seg, ...ip });
}

function icmpEcho4({ src, dst, id = 7, seq = 1, data = [] }) {
  const msg = [8, 0, 0, 0, ...u16(id), ...u16(seq), ...data];
  const c = csum(msg);
  msg[2] = c >> 8;
  msg[3] = c & 0xff;
  return ipv4({ src, dst, proto: 1, payload: msg });
}

function udp6({ sport, dport, data = [] }) {
  const src = [0xfd, 0, ...Array(13).fill(0), 1];
  const dst = [0xfd, 0, ...Array(13).fill(0), 2];
  const seg = [...u16(sport), ...u16(dport), ...u16(8 + data.length), 0, 0, ...data];
  const c = csum([...src, ...dst, ...u32(seg.length), 0, 0, 0, 17, ...seg]) || 0xffff;
  seg[6] = c >> 8;
  seg[7] = c & 0xff;
  return [0x60, 0, 0, 0, ...u16(seg.length), 17, 64, ...src, ...dst, ...seg];
}

const text = (s) => [...Buffer.from(s)];

const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';

/** Every named frame, in the order the steps files use them. */
export const frames = {
  tcp_syn_8080: ether(0x0800, tcp4({ src: A, dst: B, sport: 40000, dport: 8080 })),
  udp_8080: ether(0x0800, udp4({ src: A, dst: B, sport: 40001, dport: 8080, data: text('hello') })),
  udp_53: ether(0x0800, udp4({ src: C, dst: B, sport: 40002, dport: 53, data: text('query') })),
  tcp_443: ether(0x0800, tcp4({ src: C, dst: B, sport: 40003, dport: 443, flags: 0x18, data: text('GET /') })),
  icmp_echo: ether(0x0800, icmpEcho4({ src: A, dst: B, data: text('ping') })),
  // A non-first fragment of a datagram to port 8080: no L4 header in it.
  udp_8080_frag: ether(0x0800, ipv4({ src: A, dst: B, proto: 17, payload: text('fragment'), id: 9, fragOffset: 2 })),
  udp_8080_nocsum: ether(0x0800, udp4({ src: A, dst: B, sport: 40004, dport: 8080, data: text('hello'), zeroCsum: true })),
  udp_53_ttl1: ether(0x0800, udp4({ src: C, dst: B, sport: 40005, dport: 53, data: text('query'), ttl: 1 })),
  arp_request: ether(0x0806, [0, 1, 8, 0, 6, 4, 0, 1, ...Buffer.from(MAC_A, 'hex'), ...ip4(A), 0, 0, 0, 0, 0, 0, ...ip4(B)], { dst: 'ffffffffffff' }),
  ipv6_udp_53: ether(0x86dd, udp6({ sport: 40006, dport: 53, data: text('query') })),
  // An IPv4 header cut short: an Ethernet header and 10 bytes.
  ipv4_truncated: ether(0x0800, [0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17]),
};

/** Decodes an Ethernet frame and reports whether its checksums hold. */
function check(h) {
  const b = [...Buffer.from(h, 'hex')];
  const out = { len: b.length, ethertype: hex(b.slice(12, 14)) };
  if (out.ethertype !== '0800') return out;
  const ip = b.slice(14);
  const ihl = (ip[0] & 15) * 4;
  const src = ip.slice(12, 16).join('.');
  const dst = ip.slice(16, 20).join('.');
  Object.assign(out, { src, dst, ttl: ip[8], proto: ip[9], tot_len: (ip[2] << 8) | ip[3], ip_csum_ok: csum(ip.slice(0, ihl)) === 0 });
  const l4 = ip.slice(ihl, (ip[2] << 8) | ip[3]);
  const firstFragment = (((ip[6] << 8) | ip[7]) & 0x1fff) === 0;
  out.first_fragment = firstFragment;
  if (firstFragment && (ip[9] === 6 || ip[9] === 17) && l4.length >= 8) {
    out.sport = (l4[0] << 8) | l4[1];
    out.dport = (l4[2] << 8) | l4[3];
    if (ip[9] === 17 && l4[6] === 0 && l4[7] === 0) out.l4_csum_ok = 'none';
    else out.l4_csum_ok = csum([...pseudo4(src, dst, ip[9], l4.length), ...l4]) === 0;
  }
  return out;
}

const args = process.argv.slice(2);
const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (!isMain) {
  // imported (steps.mjs): no command line to serve
} else if (args[0] === '--check') {
  for (const h of args.slice(1)) console.log(JSON.stringify(check(h)));
} else if (args.length > 0) {
  for (const name of args) {
    const f = frames[name];
    if (!f) {
      console.error(`no frame named ${name}; known: ${Object.keys(frames).join(', ')}`);
      process.exit(1);
    }
    console.log(hex(f));
  }
} else {
  for (const [name, f] of Object.entries(frames)) console.log(`${name}\t${f.length}\t${hex(f)}`);
}
