import type { CtxAccessResult, ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';
import { allowIf, DENY } from './ctx-access.js';

/** `cg_sockopt_is_valid_access` over `struct bpf_sockopt` (get: 21, set: 22); pointer fields are 8 bytes. */
function sockoptIsValidAccess(off: number, size: number, write: boolean, attach: number): CtxAccessResult {
  if (off < 0 || off >= 40 || off % size !== 0) return DENY;
  if (write) {
    if (off === 36) return allowIf(size === 4 && attach === 21);
    if (off === 24 || off === 28) return allowIf(size === 4 && attach === 22);
    return allowIf(off === 32 && size === 4);
  }
  if (off < 8) return allowIf(size === 8, 'sock');
  if (off < 16) return allowIf(size === 8, 'pkt');
  if (off < 24) return allowIf(size === 8, 'pkt_end');
  if (off === 36) return allowIf(size === 4 && attach === 21);
  return allowIf(size === 4);
}

/** `BPF_PROG_TYPE_CGROUP_SOCKOPT`: cgroup get/setsockopt hooks. */
export function cgroupSockoptProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_CGROUP_SOCKOPT,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    isValidAccess: sockoptIsValidAccess,
    attachTypes: [22, 21],
    returnRange: () => ({ min: 0, max: 1 }),
  });
}
