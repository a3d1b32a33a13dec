import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_NETFILTER`: netfilter hooks. */
export function netfilterProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_NETFILTER,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    attachTypes: [45],
    returnRange: () => ({ min: 0, max: 1 }),
  });
}
