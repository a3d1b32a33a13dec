import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_SK_REUSEPORT`: SO_REUSEPORT socket selection. */
export function skReuseportProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_SK_REUSEPORT,
    capabilities: ['CAP_BPF'],
    attachTypes: [39, 40],
    // `bpf_prog_load_fixup_attach_type`: no attach type means BPF_SK_REUSEPORT_SELECT.
    fixupAttachType: (eat) => (eat === 0 ? 39 : eat),
  });
}
