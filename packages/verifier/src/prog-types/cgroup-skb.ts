import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_CGROUP_SKB`: cgroup ingress/egress filters; loadable without CAP_BPF. Egress may also return congestion bits (0..3). */
export function cgroupSkbProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_CGROUP_SKB,
    capabilities: [],
    attachTypes: [0, 1],
    returnRange: (eat) => (eat === 1 ? { min: 0, max: 3 } : { min: 0, max: 1 }),
  });
}
