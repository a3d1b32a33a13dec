import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';
import { lwtIsValidAccess } from './sk-buff.js';

/** `BPF_PROG_TYPE_LWT_OUT`: lightweight tunnel output. */
export function lwtOutProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_LWT_OUT,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    isValidAccess: lwtIsValidAccess,
  });
}
