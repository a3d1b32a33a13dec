import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';
import { lwtIsValidAccess } from './sk-buff.js';

/** `BPF_PROG_TYPE_LWT_SEG6LOCAL`: SRv6 local actions. */
export function lwtSeg6localProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_LWT_SEG6LOCAL,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    isValidAccess: lwtIsValidAccess,
  });
}
