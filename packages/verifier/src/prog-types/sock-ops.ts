import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_SOCK_OPS`: TCP socket operations. */
export function sockOpsProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_SOCK_OPS,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    returnRange: () => ({ min: 0, max: 1 }),
  });
}
