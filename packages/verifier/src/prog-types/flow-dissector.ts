import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_FLOW_DISSECTOR`: flow dissector. */
export function flowDissectorProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_FLOW_DISSECTOR,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
  });
}
