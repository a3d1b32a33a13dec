import { FRAME_NAMES, frame, type FrameName } from './packets.js';
import { XdpFirewallSkeleton } from './skel/xdp_firewall.skel.js';
import { count, outcome, type RunOutcome, type Target } from './target.js';

const XDP_ACTIONS = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];
const RUNS: readonly FrameName[] = ['tcp_syn_8080', 'udp_8080', 'udp_53', 'tcp_443', 'icmp_echo', 'udp_8080_frag', 'arp_request', 'ipv4_truncated'];

/**
 * What {@link runXdpFirewall} returns (plain JSON).
 *
 * @example
 * const r: XdpFirewallResult = runXdpFirewall(target);
 * r.bySource; // [{ source: '10.0.0.1', passed: 2, dropped: 1002 }, ...]
 */
export interface XdpFirewallResult {
  readonly loadedWithToken: boolean;
  readonly runs: readonly RunOutcome<{ readonly action: string }>[];
  readonly bySource: readonly { readonly source: string; readonly passed: number; readonly dropped: number }[];
  readonly packetsSeen: number;
  readonly notInspected: number;
}

/** The hash key: the IPv4 source address as the program reads it (4 bytes in network order, a little-endian u32 to BTF). */
function sourceKey(addr: readonly number[]): number {
  return new DataView(Uint8Array.from(addr).buffer).getUint32(0, true);
}

function sourceText(key: number): string {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, key, true);
  return [...b].join('.');
}

/**
 * The XDP firewall: blocks destination port 8080 (a `.rodata` knob set before load), seeds
 * 1000 earlier drops for 10.0.0.1, runs eight frames and reads the per-source counters and
 * the `.bss` totals back.
 *
 * @example
 * const r = runXdpFirewall({ host: createDefaultKernel({ cpus: 2 }).init, possibleCpus: 2 });
 * r.runs[0]; // { frame: 'tcp_syn_8080', retval: 1, action: 'XDP_DROP' }
 */
export function runXdpFirewall(target: Target, blockedPort = 8080): XdpFirewallResult {
  const skel = XdpFirewallSkeleton.open({ host: target.host, possibleCpus: target.possibleCpus });
  try {
    skel.rodata.blocked_port = blockedPort;
    skel.load();
    skel.maps.by_source.update(sourceKey([10, 0, 0, 1]), { passed: 0n, dropped: 1000n });
    const prog = skel.progs.xdp_firewall;
    const runs = RUNS.filter((n) => FRAME_NAMES.includes(n)).map((name) =>
      outcome(name, () => {
        const { retval } = prog.testRun({ dataIn: frame(name), dataSizeOut: 256, repeat: 1 });
        return { retval, action: XDP_ACTIONS[retval] ?? String(retval) };
      }),
    );
    const bySource = [...skel.maps.by_source.entries()]
      .map(([k, v]) => ({ source: sourceText(k), passed: count(v.passed), dropped: count(v.dropped) }))
      .sort((a, b) => a.source.localeCompare(b.source));
    return {
      loadedWithToken: skel.obj.tokenFd !== undefined,
      runs,
      bySource,
      packetsSeen: count(skel.bss.packets_seen),
      notInspected: count(skel.bss.not_inspected),
    };
  } finally {
    skel.close();
  }
}
