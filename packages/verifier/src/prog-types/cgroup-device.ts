import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_CGROUP_DEVICE`: cgroup device access control. */
export function cgroupDeviceProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_CGROUP_DEVICE,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    returnRange: () => ({ min: 0, max: 1 }),
  });
}
