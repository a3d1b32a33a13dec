import { isBpfError, type BpfError } from '@bpfkit/kernel-api';
import type { BatchContext } from './map-batch.js';

/**
 * `generic_map_lookup_batch`: walks the keys with `get_next_key` from
 * `in_batch` (or the first key), copies up to `count` key/value pairs out one
 * by one, skips keys deleted under it, then writes `count` and the last key
 * to `out_batch`. Ends with the walk's error: ENOENT after the last key.
 */
export function genericLookupBatch(b: BatchContext): void {
  const { task, live, attr, keySize, valueSize } = b;
  const max = attr.count;
  if (max === 0) return;
  b.putCount(0);
  let prev = attr.in_batch === 0n ? undefined : task.memory.read(attr.in_batch, keySize);
  let cp = 0;
  let err: BpfError | undefined;
  while (cp < max) {
    let key: Uint8Array;
    try {
      key = live.sysGetNextKey(prev);
    } catch (e) {
      if (!isBpfError(e)) throw e;
      err = e;
      break;
    }
    prev = key;
    let value: Uint8Array;
    try {
      value = live.sysLookup(key, b.elemFlags);
    } catch (e) {
      if (isBpfError(e, 'ENOENT')) continue;
      throw e;
    }
    task.memory.write(attr.keys + BigInt(cp * keySize), key.subarray(0, keySize));
    task.memory.write(attr.values + BigInt(cp * valueSize), value.subarray(0, valueSize));
    cp++;
  }
  if (err?.code === 'EFAULT') throw err;
  b.putCount(cp);
  if (cp !== 0 && prev !== undefined) task.memory.write(attr.out_batch, prev.subarray(0, keySize));
  if (err !== undefined) throw err;
}

/** `generic_map_update_batch`: one update per key/value pair, stopping at the first error; `count` says how many went in. */
export function genericUpdateBatch(b: BatchContext): void {
  const { task, live, attr, keySize, valueSize } = b;
  const max = attr.count;
  if (max === 0) return;
  b.putCount(0);
  let cp = 0;
  try {
    for (; cp < max; cp++) {
      const key = task.memory.read(attr.keys + BigInt(cp * keySize), keySize);
      const value = task.memory.read(attr.values + BigInt(cp * valueSize), valueSize);
      live.sysUpdate(key, value, b.elemFlags, b.ctx);
    }
  } finally {
    b.putCount(cp);
  }
}

/** `generic_map_delete_batch`: one delete per key, stopping at the first error; `count` says how many went. */
export function genericDeleteBatch(b: BatchContext): void {
  const { task, live, attr, keySize } = b;
  const max = attr.count;
  if (max === 0) return;
  b.putCount(0);
  let cp = 0;
  try {
    for (; cp < max; cp++) {
      live.sysDelete(task.memory.read(attr.keys + BigInt(cp * keySize), keySize));
    }
  } finally {
    b.putCount(cp);
  }
}
