import type { CtxAccessResult, HelperPrivileges, ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';
import { DENY, isField } from './ctx-access.js';
import { inCb, SKB, skbLoad, skbValid } from './sk-buff.js';

/** `cg_skb_is_valid_access`: `data`/`data_end` and `tstamp` writes need CAP_BPF. */
function cgSkbIsValidAccess(off: number, size: number, write: boolean, _eat: number, privileges: HelperPrivileges): CtxAccessResult {
  const { bpfCapable } = privileges;
  if (isField(off, SKB.tcClassid) || isField(off, SKB.dataMeta) || isField(off, SKB.wireLen)) return DENY;
  if ((isField(off, SKB.data) || isField(off, SKB.dataEnd)) && !bpfCapable) return DENY;
  if (write && !(isField(off, SKB.mark) || isField(off, SKB.priority) || inCb(off) ||
    (isField(off, SKB.tstamp, 8) && bpfCapable))) return DENY;
  return skbValid(off, size, write) ? skbLoad(off, false) : DENY;
}

/** `BPF_PROG_TYPE_CGROUP_SKB`: cgroup ingress/egress filters; loadable without CAP_BPF. Egress may also return congestion bits (0..3). */
export function cgroupSkbProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_CGROUP_SKB,
    capabilities: [],
    isValidAccess: cgSkbIsValidAccess,
    attachTypes: [0, 1],
    returnRange: (eat) => (eat === 1 ? { min: 0, max: 3 } : { min: 0, max: 1 }),
  });
}
