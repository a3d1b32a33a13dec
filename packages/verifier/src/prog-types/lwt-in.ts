import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';
import { lwtIsValidAccess } from './sk-buff.js';

/** `BPF_PROG_TYPE_LWT_IN`: lightweight tunnel input. */
export function lwtInProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_LWT_IN,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    isValidAccess: lwtIsValidAccess,
  });
}
