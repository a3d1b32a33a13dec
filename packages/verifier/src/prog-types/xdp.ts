import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_XDP`: XDP. */
export function xdpProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_XDP,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
  });
}
