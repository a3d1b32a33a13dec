import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType, type DescriptorLookup } from '../define.js';
import { mapCheckNoBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { arrayMapAlloc, fdArrayMapAllocCheck } from '../shared/array.js';
import { mapMetaAlloc } from '../shared/map-in-map.js';
import { FdArrayMap } from '../runtime/fd-array.js';

/** `BPF_MAP_TYPE_ARRAY_OF_MAPS` (array_of_maps_map_ops): the inner map is looked up in alloc, after the capability checks. */
export function arrayOfMapsMapType(env: MapEnv, lookup: DescriptorLookup): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_ARRAY_OF_MAPS, name: 'array_of_maps', capability: 'none', innerMapAllowed: false,
    checkBtf: mapCheckNoBtf,
    allocCheck: (req) => { fdArrayMapAllocCheck(req); },
    alloc: (req, ctx) => {
      const innerMapMeta = mapMetaAlloc(req, lookup);
      return { ...arrayMapAlloc(env, req, ctx), innerMapMeta };
    },
    create: (spec) => new FdArrayMap(env, spec, { name: 'array_of_maps', sysLookupGivesId: true, mapInMap: true }),
  });
}
