import type { MapAllocation, MapCreateRequest } from '@bpfkit/kernel-api';
import { BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BpfMapType } from '@bpfkit/uapi';
import { allocated, areaAlloc, reject, roundUpPow2, unknownFlags } from '../checks.js';
import type { MapEnv } from '../deps.js';

/** `DEV_CREATE_FLAG_MASK`. */
const DEV_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;

/** `dev_map_alloc` + `dev_map_init_map` (devmap.c): values are `struct bpf_devmap_val` up to ifindex or up to the prog fd. */
/**
 * `dev_map_alloc_check`: the attrs, checked before the token and the capability checks of
 * BPF_MAP_CREATE (as Linux 6.18 answers, measured by token-fuzz).
 */
export function devMapAllocCheck(req: MapCreateRequest): void {
  if (req.maxEntries === 0 || req.keySize !== 4 || (req.valueSize !== 4 && req.valueSize !== 8) ||
      unknownFlags(req.mapFlags, DEV_CREATE_FLAG_MASK) !== 0) {
    reject('EINVAL', 'devmap-attrs', 'need max_entries > 0, key_size 4, value_size 4 or 8 and only NUMA/RDONLY/WRONLY flags');
  }
  if (req.mapType === BpfMapType.BPF_MAP_TYPE_DEVMAP_HASH && req.maxEntries > 2 ** 31) {
    reject('EINVAL', 'devmap-hash-max-entries-too-big', 'max_entries above 2^31');
  }
}

export function devMapAlloc(env: MapEnv, req: MapCreateRequest): MapAllocation {
  // A lookup returns a pointer into the kernel's entry: programs may only read it.
  const mapFlags = req.mapFlags | BPF_F_RDONLY_PROG;
  let bytes: number;
  if (req.mapType === BpfMapType.BPF_MAP_TYPE_DEVMAP_HASH) {
    bytes = areaAlloc(env, roundUpPow2(req.maxEntries) * 8, 'the hash heads');
  } else {
    bytes = areaAlloc(env, req.maxEntries * 8, 'the device array');
  }
  return allocated(req, bytes, { mapFlags: mapFlags >>> 0 });
}
