#!/usr/bin/env node
// node examples/ts/dist/main.js [--kernel sim|linux]: runs every example and prints the results as JSON.
import { runAll } from './all.js';
import { runXdpFirewallDelegatedLinux, runXdpFirewallDelegatedSim } from './delegation.js';
import { linuxTarget, simTarget } from './targets.js';

async function main(argv: readonly string[]): Promise<number> {
  const i = argv.indexOf('--kernel');
  const kernel = i < 0 ? 'sim' : argv[i + 1];
  if (kernel !== 'sim' && kernel !== 'linux') {
    process.stderr.write('usage: main.js [--kernel sim|linux]\n');
    return 2;
  }
  const examples = runAll(kernel === 'sim' ? simTarget(2) : linuxTarget());
  const delegated = kernel === 'sim' ? runXdpFirewallDelegatedSim(2) : await runXdpFirewallDelegatedLinux();
  process.stdout.write(`${JSON.stringify({ kernel, ...examples, xdp_firewall_delegated: delegated }, null, 2)}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
