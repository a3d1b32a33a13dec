import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_LIRC_MODE2`: IR decoders; not built into the reference kernel (load: EINVAL). */
export function lircMode2ProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_LIRC_MODE2,
    capabilities: ['CAP_BPF'],
    supported: false,
  });
}
