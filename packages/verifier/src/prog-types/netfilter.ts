import type { CtxAccessResult, ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';
import { allowIf, DENY } from './ctx-access.js';

/**
 * `nf_is_valid_access` over `struct bpf_nf_ctx { state; skb; }`: each pointer read whole, nothing
 * written. The kernel loads them as BTF pointers, which this verifier does not model: they come
 * out as scalars, never dereferenced.
 */
function nfIsValidAccess(off: number, size: number, write: boolean): CtxAccessResult {
  if (write || off < 0 || off >= 16 || off % size !== 0) return DENY;
  return allowIf(size === 8);
}

/** `BPF_PROG_TYPE_NETFILTER`: netfilter hooks. */
export function netfilterProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_NETFILTER,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    attachTypes: [45],
    returnRange: () => ({ min: 0, max: 1 }),
    isValidAccess: nfIsValidAccess,
  });
}
