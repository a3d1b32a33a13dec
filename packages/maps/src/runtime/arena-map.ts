import type { BpfArenaOps, MapRuntimeSpec } from '@bpfkit/kernel-api';
import type { MapEnv } from '../deps.js';
import { ArenaPages } from './arena-pages.js';
import { NEG_EINVAL, NEG_EOPNOTSUPP } from './errno.js';
import { fail, MapBase } from './map-base.js';

/**
 * `BPF_MAP_TYPE_ARENA` (arena.c): memory shared with user space through mmap
 * and `bpf_arena_alloc_pages`, not through elements: lookups are EINVAL,
 * updates, deletes and get_next_key EOPNOTSUPP. Its pages and user range are
 * {@link bpfArena} (kept apart from the VM's memory: programs reach them through
 * `BPF_PROBE_MEM32` accesses, user space through mmap).
 *
 * @example
 * const arenaMap = maps.get(BpfMapType.BPF_MAP_TYPE_ARENA)!.create(spec);
 * arenaMap.sysLookup(new Uint8Array(0), 0); // throws EINVAL
 */
export class ArenaMap extends MapBase {
  readonly bpfArena: BpfArenaOps;

  constructor(env: MapEnv, spec: MapRuntimeSpec) {
    super(env, spec);
    this.bpfArena = new ArenaPages(env.pageSize, spec.info.maxEntries, spec.mapExtra, spec.info.mapFlags);
  }

  protected override get typeName(): string {
    return 'arena';
  }
  /** `arena_map_direct_value_addr`: an `__arena` global's user address (the verifier bounded `off`). */
  directValueAddr(off: number): number {
    return Number(this.bpfArena.userVmStart) + off;
  }
  override lookupElem(): number {
    return 0;
  }
  override updateElem(): number {
    return NEG_EOPNOTSUPP;
  }
  override deleteElem(): number {
    return NEG_EOPNOTSUPP;
  }
  override forEachElem(): number {
    return NEG_EINVAL;
  }
  sysLookup(): Uint8Array {
    return fail('EINVAL', 'arena-lookup', 'arenas have no elements');
  }
  sysUpdate(): void {
    fail('EOPNOTSUPP', 'arena-update', 'arenas have no elements');
  }
  sysDelete(): void {
    fail('EOPNOTSUPP', 'arena-delete', 'arenas have no elements');
  }
  sysGetNextKey(): Uint8Array {
    return fail('EOPNOTSUPP', 'arena-get-next-key', 'arenas have no keys');
  }
}
