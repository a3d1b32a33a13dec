import { BpfError, type BpfMap } from '@bpfkit/kernel-api';
import { check } from '../bpf/check.js';
import type { BatchContext } from './map-batch.js';

/** `roundup_pow_of_two(max_entries)`: the bucket count of a table that does not report its own. */
function bucketCount(maxEntries: number): number {
  let n = 1;
  while (n < maxEntries) n *= 2;
  return n;
}

/**
 * The keys of bucket `index` in list order, from the map's own table
 * (`bucketKeys`: jhash with `htab->hashrnd`, as the kernel places them). A
 * runtime without a table to report gets one bucket per key in
 * `BPF_MAP_GET_NEXT_KEY` order, so a walk still sees every key once.
 */
function keysOf(live: BpfMap, index: number, fallback: () => Uint8Array[]): Uint8Array[] {
  if (live.bucketKeys !== undefined) return live.bucketKeys(index);
  const all = fallback();
  const key = all[index];
  return key === undefined ? [] : [key];
}

/** Every key in `BPF_MAP_GET_NEXT_KEY` order (for the fallback). */
function allKeys(live: BpfMap): Uint8Array[] {
  const out: Uint8Array[] = [];
  let key: Uint8Array | undefined;
  for (let i = 0; i <= live.info.maxEntries; i++) {
    try {
      key = live.sysGetNextKey(key);
    } catch {
      break;
    }
    out.push(key);
  }
  return out;
}

/**
 * `__htab_map_lookup_and_delete_batch`: the batch token is a bucket index; whole
 * buckets are copied (and deleted) while they fit in `count`; a first bucket
 * that does not fit is ENOSPC; past the last bucket, ENOENT. `out_batch` gets
 * the next bucket and `count` the elements copied. `flags` must be 0.
 */
export function htabLookupBatch(b: BatchContext, doDelete: boolean): void {
  const { task, live, attr, keySize, valueSize, core } = b;
  check(core, 'htab_map_lookup_batch:flags', attr.flags === 0n, 'EINVAL', 'map:batch-flags', {
    pass: 'batch flags is 0',
    fail: `batch flags 0x${attr.flags.toString(16)} must be 0 for a hash map`,
  });
  const max = attr.count;
  if (max === 0) return;
  b.putCount(0);
  let batch = 0;
  if (attr.in_batch !== 0n) batch = new DataView(task.memory.read(attr.in_batch, 4).buffer).getUint32(0, true);
  const nBuckets = live.nBuckets ?? bucketCount(live.info.maxEntries);
  if (batch >= nBuckets) throw new BpfError('ENOENT', 'map:batch-end', `bucket ${batch} is past the last of ${nBuckets}`);
  let cached: Uint8Array[] | undefined;
  const fallback = (): Uint8Array[] => (cached ??= allKeys(live));
  let total = 0;
  let ret: BpfError | undefined;
  for (;;) {
    const keys = keysOf(live, batch, fallback);
    if (keys.length > max - total) {
      if (total === 0) ret = new BpfError('ENOSPC', 'map:batch-bucket-too-big', `bucket ${batch} holds ${keys.length} elements, more than count ${max}`);
      break;
    }
    keys.forEach((key, i) => {
      const value = live.sysLookup(key, b.elemFlags);
      if (doDelete) live.sysDelete(key);
      task.memory.write(attr.keys + BigInt((total + i) * keySize), key.subarray(0, keySize));
      task.memory.write(attr.values + BigInt((total + i) * valueSize), value.subarray(0, valueSize));
    });
    total += keys.length;
    batch++;
    if (batch >= nBuckets) {
      ret = new BpfError('ENOENT', 'map:batch-end', 'no more buckets');
      break;
    }
  }
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, batch, true);
  task.memory.write(attr.out_batch, out);
  b.putCount(total);
  if (ret !== undefined) throw ret;
}
