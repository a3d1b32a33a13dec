import { BpfError } from '@bpfkit/kernel-api';
import { BpfCmd, Capability, decodeAttrGroup } from '@bpfkit/uapi';
import { capDetail, check, checkAttr } from '../bpf/check.js';
import type { SyscallContext } from '../task/syscall-context.js';

/** `BPF_STATS_RUN_TIME`, the one statistics type. */
const BPF_STATS_RUN_TIME = 0;

/**
 * BPF_ENABLE_STATS (`bpf_enable_stats`): CHECK_ATTR, CAP_SYS_ADMIN in the
 * initial user namespace (EPERM), the type (EINVAL), then an
 * `anon_inode:bpf-stats` fd; programs count their runs and run time until the
 * last such fd is closed.
 */
export function enableStats(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_ENABLE_STATS, bytes);
  check(core, 'enable_stats:CAP_SYS_ADMIN', core.capable(task.cred, Capability.CAP_SYS_ADMIN), 'EPERM', 'caps:missing-CAP_SYS_ADMIN',
    capDetail('ENABLE_STATS needs CAP_SYS_ADMIN', 'in the initial user namespace'));
  const type = decodeAttrGroup('enable_stats', bytes).type;
  if (type !== BPF_STATS_RUN_TIME) throw new BpfError('EINVAL', 'stats:unknown-type', `unknown statistics type ${type}`);
  const file = core.newFile('bpf-stats', false, 0, { linkText: 'anon_inode:bpf-stats' }, () => {
    core.statsEnabled--;
  });
  core.statsEnabled++;
  try {
    return task.fdTable.install(file, { cloexec: true });
  } catch (e) {
    file.get().put();
    throw e;
  }
}
