import type { CtxAccessResult, ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { allowIf, DENY, isField, narrowOk } from './ctx-access.js';
import { defineProgType } from './define.js';

/**
 * `sk_reuseport_is_valid_access` over `struct sk_reuseport_md` (reads only): data and data_end,
 * the socket (`sk`) and the migrating one (maybe NULL), hash whole, the other u32 fields narrowed
 * (eth_protocol no narrower than skb->protocol's two bytes).
 */
function skReuseportIsValidAccess(off: number, size: number, write: boolean): CtxAccessResult {
  if (off < 0 || off >= 56 || off % size !== 0 || write) return DENY;
  if (off === 0) return allowIf(size === 8, 'pkt');
  if (off === 8) return allowIf(size === 8, 'pkt_end');
  if (off === 32) return allowIf(size === 4);
  if (off === 40) return allowIf(size === 8, 'sock');
  if (off === 48) return allowIf(size === 8, 'sock_common_or_null');
  if (isField(off, 20)) return allowIf(size >= 2 && narrowOk(size, 4));
  if (isField(off, 16) || isField(off, 24) || isField(off, 28)) return allowIf(narrowOk(size, 4));
  return DENY;
}

/** `BPF_PROG_TYPE_SK_REUSEPORT`: SO_REUSEPORT socket selection. */
export function skReuseportProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_SK_REUSEPORT,
    capabilities: ['CAP_BPF'],
    attachTypes: [39, 40],
    isValidAccess: skReuseportIsValidAccess,
    // `bpf_prog_load_fixup_attach_type`: no attach type means BPF_SK_REUSEPORT_SELECT.
    fixupAttachType: (eat) => (eat === 0 ? 39 : eat),
  });
}
