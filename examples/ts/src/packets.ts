// The test frames of examples/tools/packets.mjs, built in TypeScript: lengths and checksums
// are computed, so every frame is one a kernel accepts.

const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];
const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

type Ip4 = readonly [number, number, number, number];

const u16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const text = (s: string): number[] => [...new TextEncoder().encode(s)];

/** The Internet checksum (RFC 1071). */
function csum(bytes: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ether(type: number, payload: readonly number[], dst = MAC_B): number[] {
  return [...dst, ...MAC_A, ...u16(type), ...payload];
}

interface Ip4Options {
  readonly ttl?: number;
  readonly id?: number;
  readonly fragOffset?: number;
}

function ipv4(src: Ip4, dst: Ip4, proto: number, payload: readonly number[], o: Ip4Options = {}): number[] {
  const h = [0x45, 0, ...u16(20 + payload.length), ...u16(o.id ?? 1), ...u16((o.fragOffset ?? 0) & 0x1fff), o.ttl ?? 64, proto, 0, 0, ...src, ...dst];
  const c = csum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return [...h, ...payload];
}

const pseudo4 = (src: Ip4, dst: Ip4, proto: number, len: number): number[] => [...src, ...dst, 0, proto, ...u16(len)];

function udp4(src: Ip4, dst: Ip4, sport: number, dport: number, data: readonly number[], o: Ip4Options & { zeroCsum?: boolean } = {}): number[] {
  const seg = [...u16(sport), ...u16(dport), ...u16(8 + data.length), 0, 0, ...data];
  if (o.zeroCsum !== true) {
    const c = csum([...pseudo4(src, dst, 17, seg.length), ...seg]) || 0xffff;
    seg[6] = c >> 8;
    seg[7] = c & 0xff;
  }
  return ipv4(src, dst, 17, seg, o);
}

function tcp4(src: Ip4, dst: Ip4, sport: number, dport: number, flags: number, data: readonly number[]): number[] {
  const seg = [...u16(sport), ...u16(dport), ...u32(1), ...u32(0), 0x50, flags, ...u16(64240), 0, 0, 0, 0, ...data];
  const c = csum([...pseudo4(src, dst, 6, seg.length), ...seg]);
  seg[16] = c >> 8;
  seg[17] = c & 0xff;
  return ipv4(src, dst, 6, seg);
}

function icmpEcho4(src: Ip4, dst: Ip4, data: readonly number[]): number[] {
  const msg = [8, 0, 0, 0, ...u16(7), ...u16(1), ...data];
  const c = csum(msg);
  msg[2] = c >> 8;
  msg[3] = c & 0xff;
  return ipv4(src, dst, 1, msg);
}

function udp6(sport: number, dport: number, data: readonly number[]): number[] {
  const src = [0xfd, 0, ...Array<number>(13).fill(0), 1];
  const dst = [0xfd, 0, ...Array<number>(13).fill(0), 2];
  const seg = [...u16(sport), ...u16(dport), ...u16(8 + data.length), 0, 0, ...data];
  const c = csum([...src, ...dst, ...u32(seg.length), 0, 0, 0, 17, ...seg]) || 0xffff;
  seg[6] = c >> 8;
  seg[7] = c & 0xff;
  return [0x60, 0, 0, 0, ...u16(seg.length), 17, 64, ...src, ...dst, ...seg];
}

const A: Ip4 = [10, 0, 0, 1];
const B: Ip4 = [10, 0, 0, 2];
const C: Ip4 = [10, 0, 0, 3];

const FRAMES = {
  tcp_syn_8080: ether(0x0800, tcp4(A, B, 40000, 8080, 0x02, [])),
  udp_8080: ether(0x0800, udp4(A, B, 40001, 8080, text('hello'))),
  udp_53: ether(0x0800, udp4(C, B, 40002, 53, text('query'))),
  tcp_443: ether(0x0800, tcp4(C, B, 40003, 443, 0x18, text('GET /'))),
  icmp_echo: ether(0x0800, icmpEcho4(A, B, text('ping'))),
  udp_8080_frag: ether(0x0800, ipv4(A, B, 17, text('fragment'), { id: 9, fragOffset: 2 })),
  udp_8080_nocsum: ether(0x0800, udp4(A, B, 40004, 8080, text('hello'), { zeroCsum: true })),
  udp_53_ttl1: ether(0x0800, udp4(C, B, 40005, 53, text('query'), { ttl: 1 })),
  arp_request: ether(0x0806, [0, 1, 8, 0, 6, 4, 0, 1, ...MAC_A, ...A, 0, 0, 0, 0, 0, 0, ...B], BROADCAST),
  ipv6_udp_53: ether(0x86dd, udp6(40006, 53, text('query'))),
  ipv4_truncated: ether(0x0800, [0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17]),
} as const;

/**
 * The name of a test frame (the same names and bytes as `examples/tools/packets.mjs`).
 *
 * @example
 * const name: FrameName = 'udp_8080';
 */
export type FrameName = keyof typeof FRAMES;

/**
 * Every frame name, in the order of `packets.mjs`.
 *
 * @example
 * for (const name of FRAME_NAMES) console.log(name, frame(name).length);
 */
export const FRAME_NAMES = Object.keys(FRAMES) as FrameName[];

/**
 * A fresh copy of one test frame.
 *
 * @example
 * frame('udp_8080').length; // 47
 */
export function frame(name: FrameName): Uint8Array {
  return Uint8Array.from(FRAMES[name]);
}

/**
 * Lowercase hex of some bytes.
 *
 * @example
 * toHex(Uint8Array.of(0x90, 0x1f)); // '901f'
 */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * What `packets.mjs --check` says about an IPv4 frame: TTL, destination port, and whether the
 * IPv4 and TCP/UDP checksums hold (`'none'` for a zero UDP checksum).
 *
 * @example
 * checkFrame(frame('udp_8080')); // { ttl: 64, dport: 8080, ipChecksumOk: true, l4Checksum: 'ok' }
 */
export interface FrameCheck {
  readonly ttl: number;
  readonly dport: number | null;
  readonly ipChecksumOk: boolean;
  readonly l4Checksum: 'ok' | 'bad' | 'none' | 'n/a';
}

/**
 * Decodes an Ethernet + IPv4 frame and checks its checksums; undefined for other frames.
 *
 * @example
 * checkFrame(frame('arp_request')); // undefined
 */
export function checkFrame(f: Uint8Array): FrameCheck | undefined {
  const b = [...f];
  if (b[12] !== 0x08 || b[13] !== 0x00 || b.length < 34) return undefined;
  const ip = b.slice(14);
  const at = (i: number): number => ip[i] ?? 0;
  const ihl = (at(0) & 15) * 4;
  const totLen = (at(2) << 8) | at(3);
  const l4 = ip.slice(ihl, totLen);
  const firstFragment = (((at(6) << 8) | at(7)) & 0x1fff) === 0;
  const proto = at(9);
  const ipChecksumOk = csum(ip.slice(0, ihl)) === 0;
  if (!firstFragment || (proto !== 6 && proto !== 17) || l4.length < 8) return { ttl: at(8), dport: null, ipChecksumOk, l4Checksum: 'n/a' };
  const dport = ((l4[2] ?? 0) << 8) | (l4[3] ?? 0);
  const src = ip.slice(12, 16) as unknown as Ip4;
  const dst = ip.slice(16, 20) as unknown as Ip4;
  const l4Checksum = proto === 17 && l4[6] === 0 && l4[7] === 0 ? 'none' : csum([...pseudo4(src, dst, proto, l4.length), ...l4]) === 0 ? 'ok' : 'bad';
  return { ttl: at(8), dport, ipChecksumOk, l4Checksum };
}
