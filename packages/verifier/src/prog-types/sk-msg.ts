import type { CtxAccessResult, ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';
import { allowIf, DENY } from './ctx-access.js';

/** `sk_msg_is_valid_access` over `struct sk_msg_md` (reads only; data, data_end, sk are 8-byte pointers). */
function skMsgIsValidAccess(off: number, size: number, write: boolean): CtxAccessResult {
  if (write || off % size !== 0) return DENY;
  if (off >= 0 && off < 8) return allowIf(size === 8, 'pkt');
  if (off >= 8 && off < 16) return allowIf(size === 8, 'pkt_end');
  if (off >= 72 && off < 80) return allowIf(size === 8, 'sock');
  if (off >= 16 && off < 72) return allowIf(size === 4);
  return DENY;
}

/** `BPF_PROG_TYPE_SK_MSG`: sockmap sendmsg verdict. */
export function skMsgProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_SK_MSG,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    isValidAccess: skMsgIsValidAccess,
  });
}
