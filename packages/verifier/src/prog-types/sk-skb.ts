import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_SK_SKB`: sockmap stream parser/verdict. */
export function skSkbProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_SK_SKB,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
  });
}
