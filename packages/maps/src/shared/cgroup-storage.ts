import type { MapAllocation, MapCreateRequest } from '@bpfkit/kernel-api';
import { BPF_F_NUMA_NODE, BpfMapType } from '@bpfkit/uapi';
import { allocated, flagsAccessOk, localStorageMaxValueSize, PCPU_MIN_UNIT_SIZE, reject, unknownFlags } from '../checks.js';
import type { MapEnv } from '../deps.js';
import { BPF_F_ACCESS_MASK } from '../flags.js';

/** `sizeof(struct bpf_cgroup_storage_key)`: u64 cgroup inode id + u32 attach type, padded. */
const CGROUP_STORAGE_KEY_SIZE = 16;

/** `cgroup_storage_map_alloc` (local_storage.c): key is the full key or just the cgroup id; max_entries must be 0. */
export function cgroupStorageMapAlloc(env: MapEnv, req: MapCreateRequest): MapAllocation {
  let maxValueSize = localStorageMaxValueSize(env);
  if (req.mapType === BpfMapType.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE) maxValueSize = Math.min(maxValueSize, PCPU_MIN_UNIT_SIZE);
  if (req.keySize !== CGROUP_STORAGE_KEY_SIZE && req.keySize !== 8) reject('EINVAL', 'cgroup-storage-key-size', 'key_size must be 16 or 8');
  if (req.valueSize === 0) reject('EINVAL', 'cgroup-storage-value-size-zero', 'value_size must be > 0');
  if (req.valueSize > maxValueSize) reject('E2BIG', 'cgroup-storage-value-too-big', `value_size above ${String(maxValueSize)}`);
  if (unknownFlags(req.mapFlags, BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK) !== 0 || !flagsAccessOk(req.mapFlags)) {
    reject('EINVAL', 'cgroup-storage-flags', 'cgroup storage takes only NUMA and access flags');
  }
  // Storage is per cgroup (and attach type), not sized up front.
  if (req.maxEntries !== 0) reject('EINVAL', 'cgroup-storage-max-entries', 'max_entries must be 0');
  return allocated(req, 256);
}
