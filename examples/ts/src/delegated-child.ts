import type { DelegatedMain } from '@bpfkit/linux/delegation';
import { runXdpFirewall, type XdpFirewallResult } from './xdp_firewall.js';

/**
 * The arguments the parent passes to the delegated child.
 *
 * @example
 * const args: DelegatedFirewallArgs = { possibleCpus: 2 };
 */
export interface DelegatedFirewallArgs {
  readonly possibleCpus: number;
}

/**
 * Runs in the child of `runWithDelegatedBpffs`: the firewall through the child's own syscalls.
 *
 * @example
 * // runWithDelegatedBpffs({ module: '/abs/dist/delegated-child.js', mountAt: '/sys/fs/bpf', ... })
 */
const main: DelegatedMain<DelegatedFirewallArgs, XdpFirewallResult> = (args, ctx) => {
  ctx.sys.pinCpu(0);
  return runXdpFirewall({ host: ctx.sys, possibleCpus: args.possibleCpus });
};

export default main;
