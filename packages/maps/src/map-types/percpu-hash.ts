import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import type { MapEnv } from '../deps.js';
import { htabMapAlloc, htabMapAllocCheck } from '../shared/htab.js';
import { HashTable } from '../runtime/htab.js';

/** `BPF_MAP_TYPE_PERCPU_HASH` (htab_percpu_map_ops): values per CPU, bounded by PCPU_MIN_UNIT_SIZE. */
export function percpuHashMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_PERCPU_HASH, name: 'percpu_hash', capability: 'none',
    allocCheck: (req, ctx) => { htabMapAllocCheck(env, req, ctx); },
    alloc: (req) => htabMapAlloc(env, req),
    create: (spec) => new HashTable(env, spec),
  });
}
