import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_SK_LOOKUP`: socket lookup. */
export function skLookupProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_SK_LOOKUP,
    capabilities: ['CAP_BPF'],
    attachTypes: [36],
    returnRange: () => ({ min: 0, max: 1 }),
  });
}
