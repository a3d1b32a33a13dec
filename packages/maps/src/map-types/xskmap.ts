import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY, BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { mapCheckNoBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { allocated, areaAlloc, reject, unknownFlags } from '../checks.js';
import { XskMap } from '../runtime/sock-maps.js';

/** `BPF_MAP_TYPE_XSKMAP` (xsk_map_ops): AF_XDP sockets by queue index. */
export function xskmapMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_XSKMAP, name: 'xskmap', capability: 'CAP_NET_ADMIN',
    checkBtf: mapCheckNoBtf,
    alloc: (req) => {
      if (req.maxEntries === 0 || req.keySize !== 4 || req.valueSize !== 4 ||
          unknownFlags(req.mapFlags, BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY) !== 0) {
        reject('EINVAL', 'xskmap-attrs', 'need max_entries > 0, key_size 4, value_size 4 and only NUMA/RDONLY/WRONLY flags');
      }
      return allocated(req, areaAlloc(env, 64 + req.maxEntries * 8, 'the socket array'));
    },
    create: (spec) => new XskMap(env, spec),
  });
}
