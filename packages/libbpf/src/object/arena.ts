import { BpfError, MAP_SHARED, PROT_READ, PROT_WRITE, type MemoryMapping } from '@bpfkit/kernel-api';
import { ARENA_PAGE_SIZE } from '@bpfkit/elf';
import { BpfMapType } from '@bpfkit/uapi';
import type { BpfMap } from './map.js';
import type { BpfObject } from './object.js';
import { objectFeatures } from './probes.js';

const mappings = new WeakMap<BpfMap, MemoryMapping>();

/**
 * Where the object's `__arena` globals start in its arena: the last pages when the kernel
 * takes full-range ld_imm64 offsets (FEAT_LDIMM64_FULL_RANGE_OFF, as libbpf), else 0.
 *
 * @example
 * arenaDataOffset(obj); // 12288 for a 4-page arena with 32 bytes of globals
 */
export function arenaDataOffset(obj: BpfObject): number {
  const arena = obj.spec.arena;
  if (arena === undefined) return 0;
  return objectFeatures(obj).supports('LDIMM64_FULL_RANGE_OFF') ? arena.dataOffset : 0;
}

/**
 * libbpf's step after creating an ARENA map: mmap it (`max_entries` pages, read-write,
 * shared) and copy the `__arena` globals in at {@link arenaDataOffset}. A fixed address
 * (`map_extra`) needs `MAP_FIXED`, which the host seam cannot ask for: EOPNOTSUPP.
 *
 * @example
 * initArenaMap(obj, obj.map('arena')); // after BPF_MAP_CREATE
 */
export function initArenaMap(obj: BpfObject, map: BpfMap): void {
  if (map.type !== BpfMapType.BPF_MAP_TYPE_ARENA || map.fd < 0) return;
  const mmap = obj.host.mmap?.bind(obj.host);
  if (mmap === undefined) throw new BpfError('EOPNOTSUPP', 'libbpf:arena-mmap', `map '${map.name}': failed to mmap arena: the host has no mmap`);
  if (map.mapExtra !== 0) throw new BpfError('EOPNOTSUPP', 'libbpf:arena-mmap', `map '${map.name}': failed to mmap arena: a fixed address (map_extra) is not supported`);
  const mapping = mmap(map.fd, map.maxEntries * ARENA_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
  mappings.set(map, mapping);
  const arena = obj.spec.arena;
  if (arena !== undefined && arena.map === map.name && arena.bytes.length > 0) mapping.write(arenaDataOffset(obj), arena.bytes);
}

/**
 * The user mapping of a created ARENA map (libbpf's `bpf_map__initial_value` view of it);
 * the globals are at {@link arenaDataOffset}.
 *
 * @example
 * arenaMapping(obj.map('arena'))?.read(arenaDataOffset(obj), 4);
 */
export function arenaMapping(map: BpfMap): MemoryMapping | undefined {
  return mappings.get(map);
}

/** A host that can also `munmap()` (the simulated `Task`, `@bpfkit/linux`). */
interface Unmapper {
  munmap(mapping: MemoryMapping): void;
}

function canUnmap(host: object): host is Unmapper {
  return typeof (host as Partial<Unmapper>).munmap === 'function';
}

/**
 * Drops the arena mappings of an object's maps (libbpf unmaps them when the object is
 * unloaded), when the host can munmap.
 *
 * @example
 * releaseArenaMappings(obj); // from close()
 */
export function releaseArenaMappings(obj: BpfObject): void {
  for (const map of obj.maps) {
    const m = mappings.get(map);
    if (m === undefined) continue;
    mappings.delete(map);
    if (canUnmap(obj.host)) obj.host.munmap(m);
  }
}
