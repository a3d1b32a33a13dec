import { frame, type FrameName } from './packets.js';
import { SocketFilterSkeleton } from './skel/socket_filter.skel.js';
import { count, outcome, type RunOutcome, type Target } from './target.js';

const RUNS: readonly FrameName[] = ['udp_8080', 'udp_53', 'tcp_syn_8080', 'icmp_echo', 'arp_request', 'ipv6_udp_53', 'ipv4_truncated'];

/**
 * What {@link runSocketFilter} returns (plain JSON).
 *
 * @example
 * const r: SocketFilterResult = runSocketFilter(target);
 * r.counters; // { kept: 2, notIpv4: 2, notUdp: 2, truncated: 0 }
 */
export interface SocketFilterResult {
  readonly runs: readonly RunOutcome[];
  readonly counters: { readonly kept: number; readonly notIpv4: number; readonly notUdp: number; readonly truncated: number };
}

/**
 * The UDP-only socket filter: returns `skb->len` for IPv4 UDP and 0 otherwise; the truncated
 * IPv4 frame never runs (the kernel refuses it with EINVAL).
 *
 * @example
 * runSocketFilter(target).runs[0]; // { frame: 'udp_8080', retval: 33 }
 */
export function runSocketFilter(target: Target): SocketFilterResult {
  const skel = SocketFilterSkeleton.open({ host: target.host, possibleCpus: target.possibleCpus });
  try {
    skel.load();
    const prog = skel.progs.udp_only;
    const runs = RUNS.map((name) => outcome(name, () => ({ retval: prog.testRun({ dataIn: frame(name), dataSizeOut: 256, repeat: 1 }).retval })));
    const c = (i: number): number => count(skel.maps.counters.lookup(i) ?? 0n);
    return { runs, counters: { kept: c(0), notIpv4: c(1), notUdp: c(2), truncated: c(3) } };
  } finally {
    skel.close();
  }
}
