import { frame, type FrameName } from './packets.js';
import { CgroupCounterSkeleton } from './skel/cgroup_counter.skel.js';
import { count, outcome, type RunOutcome, type Target } from './target.js';

const RUNS: readonly (readonly [FrameName, number])[] = [
  ['udp_53', 1],
  ['udp_8080', 1],
  ['tcp_443', 3],
  ['ipv6_udp_53', 1],
  ['arp_request', 1],
];

/**
 * What {@link runCgroupCounter} returns (plain JSON): per traffic class (key bytes in hex, as
 * the README writes them), packets and bytes per CPU.
 *
 * @example
 * const r: CgroupCounterResult = runCgroupCounter(target);
 * r.traffic[0]; // { key: '08000600', ethertype: '0800', ipProto: 6, packets: [3, 0], bytes: [135, 0] }
 */
export interface CgroupCounterResult {
  readonly runs: readonly RunOutcome<{ readonly repeat: number }>[];
  readonly traffic: readonly {
    readonly key: string;
    readonly ethertype: string;
    readonly ipProto: number;
    readonly packets: readonly number[];
    readonly bytes: readonly number[];
  }[];
}

/** The key's ethertype is in network order in memory; BTF calls it a little-endian u16. */
function ethertypeHex(le: number): string {
  return (((le & 0xff) << 8) | (le >> 8)).toString(16).padStart(4, '0');
}

/**
 * The cgroup egress counter: five frames (one of them repeated three times), then every
 * `{ethertype, protocol}` entry of the per-CPU hash.
 *
 * @example
 * runCgroupCounter(target).traffic.map((t) => t.key); // ['08000600', '08001100', '08060000', '86dd1100']
 */
export function runCgroupCounter(target: Target): CgroupCounterResult {
  const skel = CgroupCounterSkeleton.open({ host: target.host, possibleCpus: target.possibleCpus });
  try {
    skel.load();
    const prog = skel.progs.count_egress;
    const runs = RUNS.map(([name, repeat]) => outcome(name, () => ({ retval: prog.testRun({ dataIn: frame(name), dataSizeOut: 256, repeat }).retval, repeat })));
    const traffic = [...skel.maps.egress_traffic.entries()]
      .map(([k, values]) => {
        const ethertype = ethertypeHex(k.ethertype);
        return {
          key: `${ethertype}${k.ip_proto.toString(16).padStart(2, '0')}${k.pad.toString(16).padStart(2, '0')}`,
          ethertype,
          ipProto: k.ip_proto,
          packets: values.map((v) => count(v.packets)),
          bytes: values.map((v) => count(v.bytes)),
        };
      })
      .sort((a, b) => a.key.localeCompare(b.key));
    return { runs, traffic };
  } finally {
    skel.close();
  }
}
