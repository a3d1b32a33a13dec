import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_CGROUP_SOCK`: cgroup socket create/release/post-bind; expected_attach_type 0 becomes BPF_CGROUP_INET_SOCK_CREATE. */
export function cgroupSockProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_CGROUP_SOCK,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    attachTypes: [2, 34, 12, 13],
    fixupAttachType: (eat) => (eat === 0 ? 2 : eat),
    returnRange: () => ({ min: 0, max: 1 }),
  });
}
