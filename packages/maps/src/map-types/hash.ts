import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import type { MapEnv } from '../deps.js';
import { htabMapAlloc, htabMapAllocCheck } from '../shared/htab.js';
import { HashTable } from '../runtime/htab.js';

/** `BPF_MAP_TYPE_HASH` (htab_map_ops). */
export function hashMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_HASH, name: 'hash', capability: 'none',
    allocCheck: (req, ctx) => { htabMapAllocCheck(env, req, ctx); },
    alloc: (req) => htabMapAlloc(env, req),
    create: (spec) => new HashTable(env, spec),
  });
}
