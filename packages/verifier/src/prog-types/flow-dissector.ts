import type { CtxAccessResult, ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';
import { allowIf, DENY, isField } from './ctx-access.js';
import { SKB } from './sk-buff.js';

/**
 * `flow_dissector_is_valid_access`: a read-only `__sk_buff` of which only `data`, `data_end`
 * and `flow_keys` (a pointer to the `struct bpf_flow_keys` the program fills in) exist.
 */
function flowDissectorIsValidAccess(off: number, size: number, write: boolean): CtxAccessResult {
  if (write || off < 0 || off >= SKB.size) return DENY;
  if (isField(off, SKB.data)) return allowIf(size === 4, 'pkt');
  if (isField(off, SKB.dataEnd)) return allowIf(size === 4, 'pkt_end');
  if (isField(off, SKB.flowKeys, 8)) return allowIf(size === 8 && off === SKB.flowKeys, 'flow_keys');
  return DENY;
}

/** `BPF_PROG_TYPE_FLOW_DISSECTOR`: flow dissector. */
export function flowDissectorProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_FLOW_DISSECTOR,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    isValidAccess: flowDissectorIsValidAccess,
  });
}
