import type { MapCreateRequest, MapInfo } from '@bpfkit/kernel-api';
import { reject } from '../checks.js';
import type { DescriptorLookup } from '../define.js';

/**
 * `bpf_map_meta_alloc` (map_in_map.c): the inner map template of a map-in-map,
 * taken from the map `inner_map_fd` names.
 */
export function mapMetaAlloc(req: MapCreateRequest, lookup: DescriptorLookup): MapInfo {
  const found = req.innerMap?.() ?? { ok: false, errno: 'EBADF' as const };
  if (!found.ok) reject(found.errno, 'inner-map-fd', found.errno === 'EBADF' ? 'inner_map_fd is not an open fd' : 'inner_map_fd is not a map');
  const inner = found.value;
  if (inner.isMapInMap) reject('EINVAL', 'inner-map-nested', 'a map-in-map cannot be an inner map (one level only)');
  if (lookup(inner.mapType)?.innerMapAllowed !== true) {
    reject('ENOTSUPP', 'inner-map-type', 'this map type cannot be an inner map (no map_meta_equal)');
  }
  return inner;
}
