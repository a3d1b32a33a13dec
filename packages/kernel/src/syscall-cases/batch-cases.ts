import { BPF_F_ZERO_SEED, BpfCmd, BpfMapType as M } from '@bpfkit/uapi';
import { batchAttr, batchCount, hex, mapCreate, percpu, u32, u64, update } from './ops.js';
import type { CaseRunner, SyscallCase } from './runner.js';

/** Buckets of the maps below (`roundup_pow_of_two(16)`), and how many keys go in. */
const MAX_ENTRIES = 16;
const KEYS = 12;
/** Calls a walk may take before it is cut short (more than the buckets, so a walk ends on its own). */
const STEP_LIMIT = MAX_ENTRIES + 4;

/** The last failed call's errno name. */
function lastErrno(r: CaseRunner): string | undefined {
  return r.failures[r.failures.length - 1]?.errno;
}

/**
 * One batch call from the bucket token in `inBatch` (0n: from the start):
 * records errno or ok, `count`, the keys in the order the kernel copied them,
 * the first u64 of each value, and `out_batch`. Returns the errno name or undefined.
 */
function batchCall(r: CaseRunner, step: string, cmd: number, fd: number, count: number, inBatch: bigint, out: { keys: bigint; values: bigint; batch: bigint; valueSize: number }): string | undefined {
  const a = batchAttr({ map_fd: fd, keys: out.keys, values: out.values, count, in_batch: inBatch, out_batch: out.batch });
  const ret = r.call(step, cmd, a, () => {
    const n = batchCount(a);
    const pairs: string[] = [];
    for (let i = 0; i < n; i++) pairs.push(`${hex(r.read(out.keys + BigInt(i * 4), 4))}=${hex(r.read(out.values + BigInt(i * out.valueSize), 8))}`);
    return { count: n, pairs, out_batch: hex(r.read(out.batch, 4)) };
  });
  return ret === undefined ? lastErrno(r) : undefined;
}

/**
 * Walks a map in batches of `count`, each call continuing from the last
 * `out_batch`, until ENOENT. A bucket that does not fit (ENOSPC) is taken by
 * one call of 8 from the same token before the walk goes on with `count`.
 */
function walk(r: CaseRunner, name: string, cmd: number, fd: number, count: number, out: { keys: bigint; values: bigint; batch: bigint; valueSize: number }): void {
  let inBatch = 0n;
  for (let i = 1; i <= STEP_LIMIT; i++) {
    const errno = batchCall(r, `${name}: call ${i} with count ${count}`, cmd, fd, count, inBatch, out);
    if (errno !== undefined && errno !== 'ENOSPC') return;
    inBatch = r.mem(r.read(out.batch, 4));
    if (errno === 'ENOSPC') {
      const again = batchCall(r, `${name}: call ${i}, the bucket that did not fit, with count 8`, cmd, fd, 8, inBatch, out);
      if (again !== undefined) return;
      inBatch = r.mem(r.read(out.batch, 4));
    }
  }
}

/**
 * Hash-map batches walk the kernel's buckets: `in_batch`/`out_batch` are
 * bucket indexes, a bucket is copied whole or not at all (ENOSPC when the
 * first one does not fit `count`). With BPF_F_ZERO_SEED the buckets (jhash,
 * seed 0) are the same on every boot, so the order and the tokens compare.
 */
const HASH_BUCKET_BATCHES: SyscallCase = {
  name: 'map batch: hash buckets walked with counts 1, 2 and 3 (BPF_F_ZERO_SEED)',
  run(r) {
    const types: [string, number, boolean][] = [
      ['hash', M.BPF_MAP_TYPE_HASH, false],
      ['percpu_hash', M.BPF_MAP_TYPE_PERCPU_HASH, true],
      ['lru_hash', M.BPF_MAP_TYPE_LRU_HASH, false],
      ['lru_percpu_hash', M.BPF_MAP_TYPE_LRU_PERCPU_HASH, true],
    ];
    for (const [name, type, isPercpu] of types) {
      const valueSize = isPercpu ? 8 * r.cpus : 8;
      const fd = mapCreate(r, `create a zero-seeded ${name} of ${MAX_ENTRIES}`, { map_type: type, key_size: 4, value_size: 8, max_entries: MAX_ENTRIES, map_flags: BPF_F_ZERO_SEED });
      if (fd === undefined) continue;
      for (let k = 1; k <= KEYS; k++) {
        const value = isPercpu ? percpu(r, 8, (c) => u64(k * 100 + c)) : u64(k * 100);
        update(r, `${name}: update key ${k}`, fd, u32(k), value);
      }
      const out = { keys: r.mem(4 * MAX_ENTRIES), values: r.mem(valueSize * MAX_ENTRIES), batch: r.mem(4), valueSize };
      for (const count of [1, 2, 3]) walk(r, `${name} lookup batch`, BpfCmd.BPF_MAP_LOOKUP_BATCH, fd, count, out);
      walk(r, `${name} lookup_and_delete batch`, BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_BATCH, fd, 2, out);
      batchCall(r, `${name}: lookup batch of ${MAX_ENTRIES} after deleting`, BpfCmd.BPF_MAP_LOOKUP_BATCH, fd, MAX_ENTRIES, 0n, out);
    }
  },
};

/** Batch cases beyond the attr checks, recorded on Linux 6.18. */
export const BATCH_CASES: readonly SyscallCase[] = [HASH_BUCKET_BATCHES];
