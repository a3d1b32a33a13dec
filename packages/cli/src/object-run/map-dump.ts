import { BpfMapType } from '@bpfkit/uapi';
import type { DumpEntry, MapDump } from './document.js';
import { allZero, compareBytes, toHex } from './hex.js';
import type { SessionMap } from './session.js';

const T = BpfMapType;
const PERCPU = new Set<number>([T.BPF_MAP_TYPE_PERCPU_ARRAY, T.BPF_MAP_TYPE_PERCPU_HASH, T.BPF_MAP_TYPE_LRU_PERCPU_HASH]);
const ARRAYS = new Set<number>([T.BPF_MAP_TYPE_ARRAY, T.BPF_MAP_TYPE_PERCPU_ARRAY]);
const HASHES = new Set<number>([T.BPF_MAP_TYPE_HASH, T.BPF_MAP_TYPE_PERCPU_HASH, T.BPF_MAP_TYPE_LRU_HASH, T.BPF_MAP_TYPE_LRU_PERCPU_HASH, T.BPF_MAP_TYPE_LPM_TRIE]);
const OF_MAPS = new Set<number>([T.BPF_MAP_TYPE_ARRAY_OF_MAPS, T.BPF_MAP_TYPE_HASH_OF_MAPS]);
const QUEUES = new Set<number>([T.BPF_MAP_TYPE_QUEUE, T.BPF_MAP_TYPE_STACK]);

/** Every key of a map, in the kernel's iteration order; bounded so a broken map cannot loop forever. */
function keysOf(map: SessionMap, limit: number): Uint8Array[] {
  const keys: Uint8Array[] = [];
  let key: Uint8Array | undefined = map.nextKey(null);
  while (key !== undefined && keys.length <= limit) {
    keys.push(key);
    key = map.nextKey(key);
  }
  return keys;
}

function splitPercpu(value: Uint8Array, valueSize: number, cpus: number): string[] {
  const stride = Math.ceil(valueSize / 8) * 8;
  const out: string[] = [];
  for (let c = 0; c < cpus; c++) out.push(toHex(value.subarray(c * stride, c * stride + valueSize)));
  return out;
}

function entry(map: SessionMap, key: Uint8Array, value: Uint8Array, cpus: number): DumpEntry {
  return PERCPU.has(map.type)
    ? { key: toHex(key), percpu: splitPercpu(value, map.valueSize, cpus) }
    : { key: toHex(key), value: toHex(value) };
}

/**
 * A map's contents in the object-run format: the whole value of an internal
 * map, non-zero array entries, hash entries sorted by key, occupied prog-array
 * slots, inner maps by name, the head of a queue; `skipped` for types without
 * a stable dump.
 *
 * @example
 * dumpMap(session.map('counts'), 'hash', 2, names); // { name: 'counts', type: 'hash', entries: [{ key: '0a000001', value: '0300000000000000' }] }
 */
export function dumpMap(map: SessionMap, typeName: string, cpus: number, mapNameById: (id: number) => string | null, maxEntries: number): MapDump {
  const head = { name: map.name, type: typeName };
  if (map.internal) {
    const value = map.lookup(new Uint8Array(4));
    return { ...head, value: value === undefined ? '' : toHex(value) };
  }
  if (ARRAYS.has(map.type)) {
    const entries: DumpEntry[] = [];
    for (const key of keysOf(map, maxEntries)) {
      const value = map.lookup(key);
      if (value !== undefined && !allZero(value)) entries.push(entry(map, key, value, cpus));
    }
    return { ...head, entries };
  }
  if (HASHES.has(map.type)) {
    const keys = keysOf(map, maxEntries).sort(compareBytes);
    const entries: DumpEntry[] = [];
    for (const key of keys) {
      const value = map.lookup(key);
      if (value !== undefined) entries.push(entry(map, key, value, cpus));
    }
    return { ...head, entries };
  }
  if (map.type === T.BPF_MAP_TYPE_PROG_ARRAY) {
    const occupied: number[] = [];
    for (let i = 0; i < maxEntries; i++) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, i, true);
      if (map.lookup(key) !== undefined) occupied.push(i);
    }
    return { ...head, occupied_slots: occupied };
  }
  if (OF_MAPS.has(map.type)) {
    const keys = map.type === T.BPF_MAP_TYPE_HASH_OF_MAPS ? keysOf(map, maxEntries).sort(compareBytes) : keysOf(map, maxEntries);
    const entries: DumpEntry[] = [];
    for (const key of keys) {
      const value = map.lookup(key);
      if (value === undefined) continue;
      const id = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0, true);
      entries.push({ key: toHex(key), inner_map: mapNameById(id) });
    }
    return { ...head, entries };
  }
  if (QUEUES.has(map.type)) {
    const value = map.lookup(null);
    return { ...head, peek: value === undefined ? null : toHex(value) };
  }
  return { ...head, skipped: true };
}
