import type { CtxAccessResult, ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';
import { DENY, isField } from './ctx-access.js';
import { familyToLocalPort, inCb, SKB, skbLoad, skbValid } from './sk-buff.js';

/** `sk_filter_is_valid_access`: no packet pointers, no socket fields, writes only to `cb[]`. */
function skFilterIsValidAccess(off: number, size: number, write: boolean): CtxAccessResult {
  if (isField(off, SKB.tcClassid) || isField(off, SKB.data) || isField(off, SKB.dataMeta) || isField(off, SKB.dataEnd) ||
    familyToLocalPort(off) || isField(off, SKB.tstamp, 8) || isField(off, SKB.wireLen) || isField(off, SKB.hwtstamp, 8)) return DENY;
  if (write && !inCb(off)) return DENY;
  return skbValid(off, size, write) ? skbLoad(off, false) : DENY;
}

/** `BPF_PROG_TYPE_SOCKET_FILTER`: Classic socket filters; loadable without CAP_BPF. */
export function socketFilterProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER,
    capabilities: [],
    isValidAccess: skFilterIsValidAccess,
  });
}
