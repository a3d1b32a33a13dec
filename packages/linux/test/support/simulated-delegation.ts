import { CLONE_NEWNS, CLONE_NEWUSER, FsconfigCmd, MS_PRIVATE, MS_REC } from '@bpfkit/kernel-api';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { runTokenSteps, type StepOutcome } from './token-steps.js';

const O_DIRECTORY = 0o200000;

/**
 * The harness's dance on the simulated kernel: a child in a new userns (0 → 0) and mount ns,
 * fsopen in the child, delegate_* + create + fsmount in an init-ns root, then the token steps
 * in the child with the same fds the real harness gives its module.
 */
export function simulatedTokenSteps(delegate: Readonly<Record<string, string>>): Record<string, StepOutcome> {
  const kernel = createDefaultKernel();
  const child = kernel.init.fork({ fds: 'empty' });
  child.unshare(CLONE_NEWUSER);
  kernel.init.writeFile(`/proc/${String(child.pid)}/uid_map`, '0 0 1');
  kernel.init.writeFile(`/proc/${String(child.pid)}/gid_map`, '0 0 1');
  child.unshare(CLONE_NEWNS);
  child.mount(null, '/', null, MS_REC | MS_PRIVATE, null);
  const host = kernel.init.fork({ fds: 'empty' });
  const fs = child.fsopen('bpf');
  const hfs = child.passFd(fs, host);
  child.close(fs);
  for (const [k, v] of Object.entries(delegate)) host.fsconfig(hfs, FsconfigCmd.FSCONFIG_SET_STRING, `delegate_${k}`, v);
  host.fsconfig(hfs, FsconfigCmd.FSCONFIG_CMD_CREATE);
  const mnt = host.fsmount(hfs);
  const mountFd = host.passFd(mnt, child);
  host.exit();
  const bpffsPath = `/proc/self/fd/${String(mountFd)}`;
  const bpffsFd = child.open('.', O_DIRECTORY, mountFd);
  return runTokenSteps(child, bpffsFd, bpffsPath, mountFd);
}
