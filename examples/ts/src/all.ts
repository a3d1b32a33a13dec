import { runCgroupCounter, type CgroupCounterResult } from './cgroup_counter.js';
import { runCoreTrace, type CoreTraceResult } from './core_trace.js';
import { runSocketFilter, type SocketFilterResult } from './socket_filter.js';
import type { Target } from './target.js';
import { runTcRewrite, type TcRewriteResult } from './tc_rewrite.js';
import { runXdpFirewall, type XdpFirewallResult } from './xdp_firewall.js';

/**
 * Every example's result, by example name.
 *
 * @example
 * const r: ExampleResults = runAll(target);
 */
export interface ExampleResults {
  readonly xdp_firewall: XdpFirewallResult;
  readonly socket_filter: SocketFilterResult;
  readonly tc_rewrite: TcRewriteResult;
  readonly cgroup_counter: CgroupCounterResult;
  readonly core_trace: CoreTraceResult;
}

/**
 * Each example by name, as a function of a {@link Target}.
 *
 * @example
 * EXAMPLES.tc_rewrite(target).stats.seen; // [7, 0]
 */
export const EXAMPLES: { readonly [K in keyof ExampleResults]: (t: Target) => ExampleResults[K] } = {
  xdp_firewall: (t) => runXdpFirewall(t),
  socket_filter: runSocketFilter,
  tc_rewrite: runTcRewrite,
  cgroup_counter: runCgroupCounter,
  core_trace: (t) => runCoreTrace(t),
};

/**
 * Runs all five examples on one target.
 *
 * @example
 * console.log(JSON.stringify(runAll({ host: createDefaultKernel({ cpus: 2 }).init, possibleCpus: 2 })));
 */
export function runAll(target: Target): ExampleResults {
  return {
    xdp_firewall: EXAMPLES.xdp_firewall(target),
    socket_filter: EXAMPLES.socket_filter(target),
    tc_rewrite: EXAMPLES.tc_rewrite(target),
    cgroup_counter: EXAMPLES.cgroup_counter(target),
    core_trace: EXAMPLES.core_trace(target),
  };
}
