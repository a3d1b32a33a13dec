import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import type { MapEnv } from '../deps.js';
import { htabMapAlloc, htabMapAllocCheck } from '../shared/htab.js';
import { HashTable } from '../runtime/htab.js';

/** `BPF_MAP_TYPE_LRU_HASH` (htab_lru_map_ops): always preallocated; BPF_F_NO_COMMON_LRU allowed. */
export function lruHashMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_LRU_HASH, name: 'lru_hash', capability: 'CAP_BPF',
    allocCheck: (req, ctx) => { htabMapAllocCheck(env, req, ctx); },
    alloc: (req) => htabMapAlloc(env, req),
    create: (spec) => new HashTable(env, spec),
  });
}
