import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';
import { lwtIsValidAccess } from './sk-buff.js';

/** `BPF_PROG_TYPE_LWT_XMIT`: lightweight tunnel transmit. */
export function lwtXmitProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_LWT_XMIT,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    isValidAccess: lwtIsValidAccess,
  });
}
