import type { MapInfo } from './maps.js';

/**
 * A live map (`struct bpf_map` and its `bpf_map_ops` data operations), as the
 * syscall side (`BPF_MAP_*_ELEM`) and programs (through helpers) use it. Keys
 * and values are the caller's bytes; per-CPU values are `valueSize` rounded
 * up to 8, times the CPU count, as `bpf(2)` copies them. Failures throw
 * `BpfError` with the kernel's errno (ENOENT, EEXIST, E2BIG, EINVAL…).
 *
 * @example
 * map.update(key, value, BPF_ANY);
 * map.lookup(key); // the value bytes, or undefined
 */
export interface BpfMap {
  readonly info: MapInfo;
  /** `map_lookup_elem`: the value, or undefined when the key is absent. */
  lookup(key: Uint8Array, flags?: number): Uint8Array | undefined;
  /** `map_update_elem` with `BPF_ANY` / `BPF_NOEXIST` / `BPF_EXIST` / `BPF_F_LOCK`. */
  update(key: Uint8Array, value: Uint8Array, flags: number): void;
  /** `map_delete_elem`: ENOENT when absent (EINVAL for arrays). */
  delete(key: Uint8Array): void;
  /** `map_get_next_key`: the first key for `undefined`, else the one after `key`; undefined at the end. */
  getNextKey(key: Uint8Array | undefined): Uint8Array | undefined;
}
