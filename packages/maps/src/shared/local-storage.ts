import type { MapAllocation, MapCreateRequest } from '@bpfkit/kernel-api';
import { BPF_F_CLONE, BPF_F_NO_PREALLOC } from '@bpfkit/uapi';
import { allocated, localStorageMaxValueSize, reject, unknownFlags } from '../checks.js';
import type { MapEnv } from '../deps.js';

/** `bpf_local_storage_map_alloc_check` (bpf_local_storage.c): sk, inode, task and cgrp storage. */
export function localStorageMapAllocCheck(env: MapEnv, req: MapCreateRequest): void {
  if (unknownFlags(req.mapFlags, BPF_F_NO_PREALLOC | BPF_F_CLONE) !== 0 || (req.mapFlags & BPF_F_NO_PREALLOC) === 0 ||
      req.maxEntries !== 0 || req.keySize !== 4 || req.valueSize === 0 ||
      // BTF is mandatory so that user space can dump the storage.
      req.btfKeyTypeId === 0 || req.btfValueTypeId === 0) {
    reject('EINVAL', 'local-storage-attrs', 'need BPF_F_NO_PREALLOC, max_entries 0, key_size 4, value_size > 0 and key/value BTF');
  }
  const max = localStorageMaxValueSize(env);
  if (req.valueSize > max) reject('E2BIG', 'local-storage-value-too-big', `value_size above ${String(max)}`);
}

/** `bpf_local_storage_map_alloc`: a bucket per possible CPU, rounded to a power of two. */
export function localStorageMapAlloc(env: MapEnv, req: MapCreateRequest): MapAllocation {
  return allocated(req, 256 + 2 ** Math.ceil(Math.log2(Math.max(env.possibleCpus, 1))) * 16);
}
