import test from 'ava';
import { BPF_ANY, BPF_F_ZERO_SEED, BpfMapType } from '@bpfkit/uapi';
import { keys, machine, rd32, u32, u64 } from './runtime-helpers.js';

const { create } = machine();

/** Bucket index of each u32 key as the table reports it. */
function bucketsOf(m: ReturnType<typeof create>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let b = 0; b < (m.nBuckets ?? 0); b++) {
    const list = m.bucketKeys?.(b) ?? [];
    if (list.length > 0) out.set(b, list.map((k) => rd32(k)));
  }
  return out;
}

for (const type of [BpfMapType.BPF_MAP_TYPE_HASH, BpfMapType.BPF_MAP_TYPE_PERCPU_HASH, BpfMapType.BPF_MAP_TYPE_LRU_HASH, BpfMapType.BPF_MAP_TYPE_LRU_PERCPU_HASH]) {
  test(`hash type ${type}: n_buckets is max_entries rounded up to a power of two`, (t) => {
    t.is(create({ type, key: 4, value: 8, max: 12 }).nBuckets, 16);
    t.is(create({ type, key: 4, value: 8, max: 16 }).nBuckets, 16);
  });

  test(`hash type ${type}: the buckets hold every key once, in the order BPF_MAP_GET_NEXT_KEY walks`, (t) => {
    const m = create({ type, key: 4, value: 8, max: 16, flags: BPF_F_ZERO_SEED });
    for (let k = 1; k <= 12; k++) m.sysUpdate(u32(k), new Uint8Array(type === BpfMapType.BPF_MAP_TYPE_HASH || type === BpfMapType.BPF_MAP_TYPE_LRU_HASH ? 8 : 16), BPF_ANY, {});
    const walked = [...bucketsOf(m).values()].flat();
    t.deepEqual(walked, keys(m).map((k) => rd32(k)));
    t.deepEqual([...walked].sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1));
  });
}

test('hash: a zero-seeded table puts u32 keys 1..12 of 16 buckets where Linux 6.18 does (batch walk recorded on the real kernel)', (t) => {
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_HASH, key: 4, value: 8, max: 16, flags: BPF_F_ZERO_SEED });
  for (let k = 1; k <= 12; k++) m.sysUpdate(u32(k), u64(k), BPF_ANY, {});
  // What Linux's LOOKUP_BATCH walks showed: count 1 is ENOSPC at bucket 1 (two keys), count 2 returns
  // [10, 4] with out_batch 6, then [5] with out_batch 10, and so on.
  t.deepEqual(Object.fromEntries(bucketsOf(m)), { 1: [10, 4], 6: [5], 10: [7, 2], 11: [1], 12: [8], 13: [12, 11, 9], 14: [6], 15: [3] }, 'the newest key of a bucket first');
});

test('hash: a bucket index outside the table holds nothing', (t) => {
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_HASH, key: 4, value: 8, max: 4 });
  m.sysUpdate(u32(1), u64(1), BPF_ANY, {});
  t.deepEqual([m.bucketKeys?.(-1), m.bucketKeys?.(4), m.bucketKeys?.(1.5)], [[], [], []]);
});
