import type { MapAllocation, MapCreateContext, MapCreateRequest } from '@bpfkit/kernel-api';
import { BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_F_ZERO_SEED, BpfMapType, Capability } from '@bpfkit/uapi';
import { allocated, areaAlloc, flagsAccessOk, PCPU_MIN_UNIT_SIZE, reject, roundUp, roundUpPow2, unknownFlags } from '../checks.js';
import type { MapEnv } from '../deps.js';
import { BPF_F_ACCESS_MASK, NUMA_NO_NODE } from '../flags.js';

/** `HTAB_CREATE_FLAG_MASK`. */
const HTAB_CREATE_FLAG_MASK = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;
/** `sizeof(struct htab_elem)` (measured: key + value must stay below KMALLOC_MAX_SIZE - 48). */
const HTAB_ELEM_SIZE = 48;
/** `sizeof(struct bucket)`. */
const BUCKET_SIZE = 16;

function isPercpu(t: number): boolean {
  return t === BpfMapType.BPF_MAP_TYPE_PERCPU_HASH || t === BpfMapType.BPF_MAP_TYPE_LRU_PERCPU_HASH;
}
function isLru(t: number): boolean {
  return t === BpfMapType.BPF_MAP_TYPE_LRU_HASH || t === BpfMapType.BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/** `htab_map_alloc_check` (hashtab.c), for all four hash flavours and hash of maps. */
export function htabMapAllocCheck(env: MapEnv, req: MapCreateRequest, ctx: MapCreateContext): void {
  const percpu = isPercpu(req.mapType);
  const lru = isLru(req.mapType);
  const percpuLru = (req.mapFlags & BPF_F_NO_COMMON_LRU) !== 0;
  const prealloc = (req.mapFlags & BPF_F_NO_PREALLOC) === 0;
  // Seeding with zero is a debugging aid: the kernel guards it against local DoS.
  if ((req.mapFlags & BPF_F_ZERO_SEED) !== 0 && !ctx.capable(Capability.CAP_SYS_ADMIN)) {
    reject('EPERM', 'hash-zero-seed-needs-cap-sys-admin', 'BPF_F_ZERO_SEED needs CAP_SYS_ADMIN');
  }
  if (unknownFlags(req.mapFlags, HTAB_CREATE_FLAG_MASK) !== 0) reject('EINVAL', 'hash-flags', 'map_flags has bits hash maps do not take');
  if (!flagsAccessOk(req.mapFlags)) reject('EINVAL', 'flags-rdonly-and-wronly-prog', 'BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together');
  if (!lru && percpuLru) reject('EINVAL', 'hash-no-common-lru-without-lru', 'BPF_F_NO_COMMON_LRU is for LRU hashes only');
  if (lru && !prealloc) reject('ENOTSUPP', 'lru-hash-no-prealloc', 'LRU hashes are always preallocated');
  if (req.numaNode !== NUMA_NO_NODE && (percpu || percpuLru)) reject('EINVAL', 'percpu-numa-node', 'per-CPU hashes take no NUMA node');
  if (req.maxEntries === 0 || req.keySize === 0 || req.valueSize === 0) {
    reject('EINVAL', 'hash-zero-size', 'max_entries, key_size and value_size must be > 0');
  }
  if (req.keySize + req.valueSize >= env.kmallocMaxSize - HTAB_ELEM_SIZE) {
    reject('E2BIG', 'hash-elem-too-big', 'key_size + value_size too big for one element');
  }
  if (percpu && roundUp(req.valueSize, 8) > PCPU_MIN_UNIT_SIZE) {
    reject('E2BIG', 'percpu-value-size-too-big', `per-CPU values are limited to ${String(PCPU_MIN_UNIT_SIZE)} bytes`);
  }
}

/** `htab_map_alloc`: bucket count limits and the preallocation. */
export function htabMapAlloc(env: MapEnv, req: MapCreateRequest): MapAllocation {
  const percpu = isPercpu(req.mapType);
  const percpuLru = (req.mapFlags & BPF_F_NO_COMMON_LRU) !== 0;
  const prealloc = (req.mapFlags & BPF_F_NO_PREALLOC) === 0;
  let maxEntries = req.maxEntries;
  if (percpuLru) {
    // Every CPU's LRU list gets the same number of elements; u32 arithmetic, as in the kernel.
    const cpus = env.possibleCpus;
    maxEntries = (Math.ceil(req.maxEntries / cpus) * cpus) % 2 ** 32;
    if (maxEntries < req.maxEntries) maxEntries = Math.floor(req.maxEntries / cpus) * cpus;
  }
  if (maxEntries > 2 ** 31) reject('E2BIG', 'hash-max-entries-too-big', 'max_entries above 2^31');
  const nBuckets = roundUpPow2(maxEntries);
  if (nBuckets > Math.floor(0xffffffff / BUCKET_SIZE)) reject('E2BIG', 'hash-too-many-buckets', 'bucket array would overflow u32');
  const elemSize = HTAB_ELEM_SIZE + roundUp(req.keySize, 8) + (percpu ? 8 : roundUp(req.valueSize, 8));
  let bytes = areaAlloc(env, nBuckets * BUCKET_SIZE, 'the buckets');
  if (prealloc) {
    bytes += areaAlloc(env, elemSize * maxEntries, 'the preallocated elements');
    if (percpu) bytes += areaAlloc(env, roundUp(req.valueSize, 8) * env.possibleCpus * maxEntries, 'the per-CPU values');
  }
  return allocated(req, bytes, { maxEntries });
}
