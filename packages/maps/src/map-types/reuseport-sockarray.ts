import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import type { MapEnv } from '../deps.js';
import { allocated, areaAlloc, reject } from '../checks.js';
import { arrayMapAllocCheck } from '../shared/array.js';
import { ReuseportArray } from '../runtime/sock-maps.js';

/** `BPF_MAP_TYPE_REUSEPORT_SOCKARRAY` (reuseport_array_ops): 4- or 8-byte socket fds/cookies. */
export function reuseportSockarrayMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, name: 'reuseport_sockarray', capability: 'CAP_BPF',
    allocCheck: (req) => {
      if (req.valueSize !== 4 && req.valueSize !== 8) reject('EINVAL', 'reuseport-value-size', 'value_size must be 4 or 8');
      arrayMapAllocCheck(req);
    },
    alloc: (req) => allocated(req, areaAlloc(env, 64 + req.maxEntries * 8, 'the socket array')),
    create: (spec) => new ReuseportArray(env, spec),
  });
}
