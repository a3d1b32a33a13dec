import type { CtxAccessResult, ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfAttachType, BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';
import { allow, DENY, isField } from './ctx-access.js';

/** `xdp_is_valid_access` over `struct xdp_md`: 4-byte reads; data, data_end, data_meta are packet pointers. */
function xdpIsValidAccess(off: number, size: number, write: boolean, attachType: number): CtxAccessResult {
  // Only devmap programs see an egress device.
  if (attachType !== BpfAttachType.BPF_XDP_DEVMAP && isField(off, 20)) return DENY;
  if (write) return DENY;
  if (off < 0 || off >= 24 || off % size !== 0 || size !== 4) return DENY;
  if (off === 0) return allow('pkt');
  if (off === 4) return allow('pkt_end');
  if (off === 8) return allow('pkt_meta');
  return allow('scalar');
}

/** `BPF_PROG_TYPE_XDP`: XDP. */
export function xdpProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_XDP,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    isValidAccess: xdpIsValidAccess,
  });
}
