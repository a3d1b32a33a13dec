import type { VmArena } from '@bpfkit/kernel-api';

/**
 * Socket-local storage (`BPF_MAP_TYPE_SK_STORAGE`) of the sockets that live
 * in the arena (a test run's dummy `skb->sk`): `sk` → map → value. The
 * kernel frees a socket's storage with the socket (`bpf_sk_storage_free`).
 */
const tables = new WeakMap<VmArena, Map<number, Map<number, number>>>();

/** The storage of `sk` in the map at `mapAddr`, or undefined. @example skStorage(arena, sk, map.address) */
export function skStorage(arena: VmArena, sk: number, mapAddr: number): number | undefined {
  return tables.get(arena)?.get(sk)?.get(mapAddr);
}

/**
 * Creates `sk`'s storage in a map: `size` bytes, a copy of `init` or zeros.
 *
 * @example
 * const value = createSkStorage(arena, sk, map.address, map.info.valueSize, initAddr);
 */
export function createSkStorage(arena: VmArena, sk: number, mapAddr: number, size: number, init: number): number {
  let t = tables.get(arena);
  if (t === undefined) {
    t = new Map<number, Map<number, number>>();
    tables.set(arena, t);
  }
  let bySk = t.get(sk);
  if (bySk === undefined) {
    bySk = new Map<number, number>();
    t.set(sk, bySk);
  }
  const addr = arena.alloc(size);
  if (init !== 0) arena.bytes.copyWithin(addr, init, init + size);
  bySk.set(mapAddr, addr);
  return addr;
}

/** Deletes `sk`'s storage in one map; false when it had none. @example deleteSkStorage(arena, sk, map.address) */
export function deleteSkStorage(arena: VmArena, sk: number, mapAddr: number): boolean {
  const bySk = tables.get(arena)?.get(sk);
  const addr = bySk?.get(mapAddr);
  if (bySk === undefined || addr === undefined) return false;
  bySk.delete(mapAddr);
  arena.free(addr);
  return true;
}

/** `bpf_sk_storage_free`: drops every storage of a socket that goes away. @example freeSkStorage(arena, sk) */
export function freeSkStorage(arena: VmArena, sk: number): void {
  const t = tables.get(arena);
  const bySk = t?.get(sk);
  if (t === undefined || bySk === undefined) return;
  for (const addr of bySk.values()) arena.free(addr);
  t.delete(sk);
}
