import type { CtxAccessResult, ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';
import { DENY, isField } from './ctx-access.js';
import { SKB, skbLoad, skbValid } from './sk-buff.js';

/** `sk_skb_is_valid_access`: no `mark`, writes only to `tc_index` and `priority`. */
function skSkbIsValidAccess(off: number, size: number, write: boolean): CtxAccessResult {
  if (isField(off, SKB.tcClassid) || isField(off, SKB.dataMeta) || isField(off, SKB.tstamp, 8) || isField(off, SKB.wireLen) ||
    isField(off, SKB.hwtstamp, 8)) return DENY;
  if (write && !(isField(off, SKB.tcIndex) || isField(off, SKB.priority))) return DENY;
  if (isField(off, SKB.mark)) return DENY;
  return skbValid(off, size, write) ? skbLoad(off, false) : DENY;
}

/** `BPF_PROG_TYPE_SK_SKB`: sockmap stream parser/verdict. */
export function skSkbProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_SK_SKB,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    isValidAccess: skSkbIsValidAccess,
  });
}
