import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { mapCheckNoBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { devMapAlloc, devMapAllocCheck } from '../shared/devmap.js';
import { DevMapHash } from '../runtime/devmap.js';

/** `BPF_MAP_TYPE_DEVMAP_HASH` (dev_map_hash_ops): XDP redirect targets by ifindex. */
export function devmapHashMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_DEVMAP_HASH, name: 'devmap_hash', capability: 'CAP_NET_ADMIN',
    checkBtf: mapCheckNoBtf,
    allocCheck: (req) => { devMapAllocCheck(req); },
    alloc: (req) => devMapAlloc(env, req),
    create: (spec) => new DevMapHash(env, spec),
  });
}
