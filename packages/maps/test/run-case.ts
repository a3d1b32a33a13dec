import { isBpfError, type MapCreateContext, type MapCreateRequest, type MapTypeRegistry } from '@bpfkit/kernel-api';
import type { MapCase } from './map-create-cases.js';

export const fullyPrivileged: MapCreateContext = { capable: () => true, bypassSpecV1: () => true };

export function requestOf(c: MapCase): MapCreateRequest {
  const flags = c.flags ?? 0;
  return {
    mapType: c.type, keySize: c.key ?? 4, valueSize: c.value ?? 8, maxEntries: c.max ?? 1, mapFlags: flags,
    numaNode: (flags & 4) !== 0 ? 0 : -1, mapName: 'probe', mapIfindex: 0, btfFd: c.btf === true ? 3 : 0,
    btfKeyTypeId: c.btf === true ? 1 : 0, btfValueTypeId: c.btf === true ? 2 : 0,
    btfVmlinuxValueTypeId: c.btf === true && c.type === 26 ? 7 : 0, mapExtra: c.extra ?? 0n,
    structOpsValueSize: () => 64,
    innerMap: () => {
      const inner = c.inner;
      if (inner === 'EBADF' || inner === 'EINVAL' || inner === undefined) return { ok: false, errno: inner ?? 'EBADF' };
      const nested = inner === 'nested';
      return { ok: true, value: { mapType: nested ? 12 : inner, keySize: 4, valueSize: 4, maxEntries: 1, mapFlags: 0, isMapInMap: nested } };
    },
  };
}

/** map_alloc_check then map_alloc, as `map_create` runs them (no token, fully privileged). */
export function create(maps: MapTypeRegistry, c: MapCase, ctx: MapCreateContext = fullyPrivileged): string {
  const d = maps.get(c.type);
  if (d === undefined) return 'EINVAL';
  const req = requestOf(c);
  try {
    d.allocCheck(req, ctx);
    d.alloc(req, ctx);
    return 'ok';
  } catch (e) {
    if (isBpfError(e)) return e.code;
    throw e;
  }
}
