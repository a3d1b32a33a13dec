import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_CGROUP_SOCKOPT`: cgroup get/setsockopt hooks. */
export function cgroupSockoptProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_CGROUP_SOCKOPT,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    attachTypes: [22, 21],
    returnRange: () => ({ min: 0, max: 1 }),
  });
}
