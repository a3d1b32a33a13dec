import { checkFrame, frame, toHex, type FrameCheck, type FrameName } from './packets.js';
import { TcRewriteSkeleton } from './skel/tc_rewrite.skel.js';
import { count, outcome, type RunOutcome, type Target } from './target.js';

const FIRST: readonly FrameName[] = ['udp_8080', 'tcp_syn_8080', 'udp_8080_nocsum', 'udp_53', 'udp_53_ttl1', 'arp_request'];
const STATS = ['seen', 'ttlDecremented', 'ttlLeftAlone', 'portRewritten', 'notIpv4'] as const;

/**
 * What {@link runTcRewrite} returns (plain JSON); `stats` has one number per CPU.
 *
 * @example
 * const r: TcRewriteResult = runTcRewrite(target);
 * r.stats.seen; // [7, 0]
 */
export interface TcRewriteResult {
  readonly runs: readonly RunOutcome<{ readonly dataOut: string; readonly check: FrameCheck | null }>[];
  readonly stats: Readonly<Record<(typeof STATS)[number], readonly number[]>>;
}

/**
 * The tc rewriter: redirects port 8080 to 80, runs six frames, then also 53 to 5353 and runs
 * `udp_53` again. Each run's output frame is checked (TTL, port, checksums).
 *
 * @example
 * runTcRewrite(target).runs[0].check; // { ttl: 63, dport: 80, ipChecksumOk: true, l4Checksum: 'ok' }
 */
export function runTcRewrite(target: Target): TcRewriteResult {
  const skel = TcRewriteSkeleton.open({ host: target.host, possibleCpus: target.possibleCpus });
  try {
    skel.load();
    const prog = skel.progs.tc_rewrite;
    const run = (name: FrameName, label: string = name): RunOutcome<{ dataOut: string; check: FrameCheck | null }> =>
      outcome(label, () => {
        const r = prog.testRun({ dataIn: frame(name), dataSizeOut: 256, repeat: 1 });
        const out = r.dataOut ?? new Uint8Array(0);
        return { retval: r.retval, dataOut: toHex(out), check: checkFrame(out) ?? null };
      });
    skel.maps.port_redirects.update(8080, 80);
    const runs = FIRST.map((n) => run(n));
    skel.maps.port_redirects.update(53, 5353);
    runs.push(run('udp_53', 'udp_53_redirected'));
    const perCpu = (i: number): number[] => (skel.maps.stats.lookup(i) ?? []).map(count);
    const stats = Object.fromEntries(STATS.map((name, i) => [name, perCpu(i)])) as Record<(typeof STATS)[number], number[]>;
    return { runs, stats };
  } finally {
    skel.close();
  }
}
