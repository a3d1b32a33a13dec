import { fileURLToPath } from 'node:url';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { isBpfError, MOVE_MOUNT_F_EMPTY_PATH, type Task } from '@bpfkit/kernel-api';
import { runWithDelegatedBpffs } from '@bpfkit/linux/delegation';
import { delegatedBpffs } from '@bpfkit/testing';
import type { DelegatedFirewallArgs } from './delegated-child.js';
import { linuxPossibleCpus } from './targets.js';
import { runXdpFirewall, type XdpFirewallResult } from './xdp_firewall.js';

/**
 * What the container's bpffs delegates: enough for the XDP firewall (its hash map, the
 * `.rodata`/`.bss` arrays, BTF and an XDP program), plus socket_filter programs: like libbpf,
 * the client probes for global data support with a socket filter loaded through the token.
 * Without it the probe fails, the internal maps are skipped and the program's global accesses
 * are poisoned (`invalid func unknown#2001000002`).
 *
 * @example
 * // mount -t bpf -o delegate_cmds=map_create:prog_load:btf_load,delegate_maps=hash:array,...
 * Object.entries(FIREWALL_DELEGATION);
 */
export const FIREWALL_DELEGATION = { cmds: 'map_create:prog_load:btf_load', maps: 'hash:array', progs: 'xdp:socket_filter', attachs: 'any' } as const;

const AT_FDCWD = -100;

function mkdirs(task: Task, path: string): void {
  let at = '';
  for (const part of path.split('/').filter((p) => p !== '')) {
    at += `/${part}`;
    try {
      task.mkdir(at);
    } catch (e) {
      if (!isBpfError(e, 'EEXIST')) throw e;
    }
  }
}

/**
 * The firewall loaded by a container of the simulated kernel: root in its own user namespace,
 * with a delegating bpffs mounted at /sys/fs/bpf, so the client creates and uses a BPF token.
 *
 * @example
 * runXdpFirewallDelegatedSim().loadedWithToken; // true
 */
export function runXdpFirewallDelegatedSim(cpus = 2): XdpFirewallResult {
  const kernel = createDefaultKernel({ cpus });
  mkdirs(kernel.init, '/sys/fs/bpf');
  const { child, mountFd } = delegatedBpffs(kernel, { delegate: FIREWALL_DELEGATION });
  child.moveMount(mountFd, '', AT_FDCWD, '/sys/fs/bpf', MOVE_MOUNT_F_EMPTY_PATH);
  return runXdpFirewall({ host: child, possibleCpus: cpus });
}

/**
 * The same on this machine's kernel: a child process in its own user and mount namespaces gets
 * a delegating bpffs at /sys/fs/bpf (`runWithDelegatedBpffs`) and runs the firewall there.
 *
 * @example
 * (await runXdpFirewallDelegatedLinux()).loadedWithToken; // true
 */
export async function runXdpFirewallDelegatedLinux(): Promise<XdpFirewallResult> {
  const args: DelegatedFirewallArgs = { possibleCpus: linuxPossibleCpus() };
  const { result } = await runWithDelegatedBpffs<XdpFirewallResult>({
    module: fileURLToPath(new URL('./delegated-child.js', import.meta.url)),
    args,
    delegate: FIREWALL_DELEGATION,
    mountAt: '/sys/fs/bpf',
  });
  return result;
}
