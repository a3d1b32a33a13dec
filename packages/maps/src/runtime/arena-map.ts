import { NEG_EINVAL, NEG_EOPNOTSUPP } from './errno.js';
import { fail, MapBase } from './map-base.js';

/**
 * `BPF_MAP_TYPE_ARENA` (arena.c): memory shared with user space through mmap
 * and `bpf_arena_alloc_pages`, not through elements: lookups are EINVAL,
 * updates, deletes and get_next_key EOPNOTSUPP. The pages themselves are the
 * VM's business (they live in the same VM arena).
 *
 * @example
 * const arenaMap = maps.get(BpfMapType.BPF_MAP_TYPE_ARENA)!.create(spec);
 * arenaMap.sysLookup(new Uint8Array(0), 0); // throws EINVAL
 */
export class ArenaMap extends MapBase {
  protected override get typeName(): string {
    return 'arena';
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
