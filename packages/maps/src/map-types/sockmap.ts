import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY, BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { mapCheckNoBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { allocated, areaAlloc, reject, unknownFlags } from '../checks.js';
import { SockMap } from '../runtime/sock-maps.js';

/** `BPF_MAP_TYPE_SOCKMAP` (sock_map_ops): sockets by index; values are 4- or 8-byte fds/cookies. */
export function sockmapMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_SOCKMAP, name: 'sockmap', capability: 'CAP_NET_ADMIN',
    checkBtf: mapCheckNoBtf,
    alloc: (req) => {
      if (req.maxEntries === 0 || req.keySize !== 4 || (req.valueSize !== 4 && req.valueSize !== 8) ||
          unknownFlags(req.mapFlags, BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY) !== 0) {
        reject('EINVAL', 'sockmap-attrs', 'need max_entries > 0, key_size 4, value_size 4 or 8 and only NUMA/RDONLY/WRONLY flags');
      }
      return allocated(req, areaAlloc(env, req.maxEntries * 8, 'the socket array'));
    },
    create: (spec) => new SockMap(env, spec),
  });
}
