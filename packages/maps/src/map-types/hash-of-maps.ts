import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType, type DescriptorLookup } from '../define.js';
import { mapCheckNoBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { reject } from '../checks.js';
import { htabMapAlloc, htabMapAllocCheck } from '../shared/htab.js';
import { mapMetaAlloc } from '../shared/map-in-map.js';
import { HashOfMaps } from '../runtime/htab-of-maps.js';

/** `BPF_MAP_TYPE_HASH_OF_MAPS` (htab_of_maps_map_ops): 4-byte map fds as values, an inner map template. */
export function hashOfMapsMapType(env: MapEnv, lookup: DescriptorLookup): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_HASH_OF_MAPS, name: 'hash_of_maps', capability: 'none', innerMapAllowed: false,
    checkBtf: mapCheckNoBtf,
    // fd_htab_map_alloc_check
    allocCheck: (req, ctx) => {
      if (req.valueSize !== 4) reject('EINVAL', 'fd-hash-value-size', 'hash of maps needs value_size 4');
      htabMapAllocCheck(env, req, ctx);
    },
    alloc: (req) => {
      const innerMapMeta = mapMetaAlloc(req, lookup);
      return { ...htabMapAlloc(env, req), innerMapMeta };
    },
    create: (spec) => new HashOfMaps(env, spec),
  });
}
