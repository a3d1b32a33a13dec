import type { CtxAccessResult, ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';
import { allow, allowIf, DENY, narrowOk } from './ctx-access.js';

/** `sk_lookup_is_valid_access` over `struct bpf_sk_lookup` (reads only). */
function skLookupIsValidAccess(off: number, size: number, write: boolean): CtxAccessResult {
  if (off < 0 || off >= 72 || off % size !== 0 || write) return DENY;
  if (off === 0) return size === 8 ? allow('sock_or_null') : DENY;
  // family, protocol, remote_ip4, remote_ip6, local_ip4, local_ip6, local_port, ingress_ifindex.
  if ((off >= 8 && off < 36) || (off >= 40 && off < 68)) return allowIf(narrowOk(size, 4));
  // remote_port (2 bytes, a 4-byte load is allowed) and the padding after it.
  if (off >= 36 && off < 40) return allowIf(size === 4 || narrowOk(size, 2));
  return DENY;
}

/** `BPF_PROG_TYPE_SK_LOOKUP`: socket lookup. */
export function skLookupProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_SK_LOOKUP,
    capabilities: ['CAP_BPF'],
    isValidAccess: skLookupIsValidAccess,
    attachTypes: [36],
    returnRange: () => ({ min: 0, max: 1 }),
  });
}
