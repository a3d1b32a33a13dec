import test from 'ava';
import { delegationAvailability } from '@bpfkit/linux/delegation';
import { linuxPossibleCpus, runXdpFirewall, runXdpFirewallDelegatedLinux, runXdpFirewallDelegatedSim, simTarget } from '@bpfkit/examples';

test('xdp_firewall through a BPF token in a simulated container: the same packets and counters', (t) => {
  const delegated = runXdpFirewallDelegatedSim(2);
  t.true(delegated.loadedWithToken);
  t.deepEqual({ ...delegated, loadedWithToken: false }, runXdpFirewall(simTarget(2)));
});

test('xdp_firewall through a BPF token: the simulated container and a real one agree (where delegation works)', async (t) => {
  const a = delegationAvailability();
  if (!a.available) {
    t.log(`linux: skipped, ${a.reason}`);
    t.pass();
    return;
  }
  const linux = await runXdpFirewallDelegatedLinux();
  t.true(linux.loadedWithToken);
  t.deepEqual(runXdpFirewallDelegatedSim(linuxPossibleCpus()), linux);
});
