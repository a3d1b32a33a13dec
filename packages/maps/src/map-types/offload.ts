import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType, Capability } from '@bpfkit/uapi';
import { reject } from '../checks.js';
import { defineMapType } from '../define.js';

/**
 * `bpf_map_offload_ops`: the kernel swaps a type's ops for these when `map_ifindex`
 * is set (after that type's `map_alloc_check`). The simulated machine has no device
 * that offloads maps, so a request that passes the first checks fails the netdev lookup.
 */
export function offloadMapType(): MapTypeDescriptor {
  return defineMapType({
    type: -1, name: 'offload', capability: 'none', innerMapAllowed: false,
    alloc: (req, ctx) => {
      if (!ctx.capable(Capability.CAP_SYS_ADMIN)) reject('EPERM', 'offload-needs-cap-sys-admin', 'map offload needs CAP_SYS_ADMIN');
      if (req.mapType !== BpfMapType.BPF_MAP_TYPE_ARRAY && req.mapType !== BpfMapType.BPF_MAP_TYPE_HASH) {
        reject('EINVAL', 'offload-map-type', 'only hash and array maps can be offloaded');
      }
      return reject('EINVAL', 'offload-no-device', `no offload-capable device with ifindex ${String(req.mapIfindex)}`);
    },
    // alloc never succeeds, so no offloaded map is ever made.
    create: () => reject('EINVAL', 'offload-no-device', 'no offload-capable device'),
  });
}
