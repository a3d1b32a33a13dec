import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { mapCheckNoBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { devMapAlloc, devMapAllocCheck } from '../shared/devmap.js';
import { DevMap } from '../runtime/devmap.js';

/** `BPF_MAP_TYPE_DEVMAP` (dev_map_ops): XDP redirect targets by index. */
export function devmapMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_DEVMAP, name: 'devmap', capability: 'CAP_NET_ADMIN',
    checkBtf: mapCheckNoBtf,
    allocCheck: (req) => { devMapAllocCheck(req); },
    alloc: (req) => devMapAlloc(env, req),
    create: (spec) => new DevMap(env, spec),
  });
}
