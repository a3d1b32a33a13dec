/** What {@link ipv4Frame} builds: an Ethernet frame with an IPv4 header and the first bytes of TCP or UDP. */
export interface FrameSpec {
  readonly src: readonly [number, number, number, number];
  readonly dst: readonly [number, number, number, number];
  readonly protocol: 'tcp' | 'udp';
  readonly sport: number;
  readonly dport: number;
}

function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * A well-formed Ethernet + IPv4 + TCP (SYN) or UDP frame, big enough for
 * `BPF_PROG_TEST_RUN` of an XDP program (at least 64 bytes).
 *
 * @example
 * ipv4Frame({ src: [10, 0, 0, 1], dst: [10, 0, 0, 2], protocol: 'tcp', sport: 40000, dport: 8080 });
 */
export function ipv4Frame(spec: FrameSpec): Uint8Array {
  const l4 = spec.protocol === 'tcp' ? 20 : 8;
  const f = new Uint8Array(Math.max(64, 14 + 20 + l4));
  const v = new DataView(f.buffer);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0);
  v.setUint16(12, 0x0800);
  const ip = new Uint8Array(20);
  const iv = new DataView(ip.buffer);
  ip[0] = 0x45;
  iv.setUint16(2, 20 + l4);
  iv.setUint16(4, 1);
  ip[8] = 64;
  ip[9] = spec.protocol === 'tcp' ? 6 : 17;
  ip.set(spec.src, 12);
  ip.set(spec.dst, 16);
  iv.setUint16(10, checksum(ip));
  f.set(ip, 14);
  v.setUint16(34, spec.sport);
  v.setUint16(36, spec.dport);
  if (spec.protocol === 'tcp') {
    f[46] = 0x50;
    f[47] = 0x02;
    v.setUint16(48, 0xfaf0);
  } else {
    v.setUint16(38, 8);
  }
  return f;
}
