import type { VmArena } from '@bpfkit/kernel-api';

/**
 * The cgroup storage a run sees through `bpf_get_local_storage`: what the
 * kernel's `bpf_cgroup_storage_set` installs before a program runs (the
 * attached cgroup's storage, or the fresh one a test run allocates), by map
 * address. Per-CPU storage keeps CPU `c`'s value `round_up(value_size, 8) * c`
 * after the address.
 */
const bindings = new WeakMap<VmArena, Map<number, number>>();

/**
 * Installs `valueAddr` as the storage of the cgroup-storage map at `mapAddr`
 * for the runs that follow on this arena.
 *
 * @example
 * bindCgroupStorage(arena, map.address, storage.attach(cgroupKey));
 */
export function bindCgroupStorage(arena: VmArena, mapAddr: number, valueAddr: number): void {
  let t = bindings.get(arena);
  if (t === undefined) {
    t = new Map<number, number>();
    bindings.set(arena, t);
  }
  t.set(mapAddr, valueAddr);
}

/** Removes a binding made by {@link bindCgroupStorage}. @example unbindCgroupStorage(arena, map.address) */
export function unbindCgroupStorage(arena: VmArena, mapAddr: number): void {
  bindings.get(arena)?.delete(mapAddr);
}

/** The storage bound to a cgroup-storage map, or undefined. @example boundCgroupStorage(arena, map.address) */
export function boundCgroupStorage(arena: VmArena, mapAddr: number): number | undefined {
  return bindings.get(arena)?.get(mapAddr);
}
