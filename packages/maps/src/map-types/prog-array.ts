import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import type { MapEnv } from '../deps.js';
import { arrayMapAlloc, fdArrayMapAllocCheck } from '../shared/array.js';
import { FdArrayMap } from '../runtime/fd-array.js';

/** `BPF_MAP_TYPE_PROG_ARRAY` (prog_array_map_ops): tail-call targets; never an inner map. */
export function progArrayMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_PROG_ARRAY, name: 'prog_array', capability: 'none', innerMapAllowed: false,
    allocCheck: (req) => { fdArrayMapAllocCheck(req); },
    alloc: (req, ctx) => arrayMapAlloc(env, req, ctx),
    create: (spec) => new FdArrayMap(env, spec, { name: 'prog_array', sysLookupGivesId: true, mapInMap: false }),
  });
}
