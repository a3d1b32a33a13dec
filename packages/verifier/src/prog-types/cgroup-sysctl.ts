import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_CGROUP_SYSCTL`: cgroup sysctl access control. */
export function cgroupSysctlProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_CGROUP_SYSCTL,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    returnRange: () => ({ min: 0, max: 1 }),
  });
}
