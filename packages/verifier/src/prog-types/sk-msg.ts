import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_SK_MSG`: sockmap sendmsg verdict. */
export function skMsgProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_SK_MSG,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
  });
}
