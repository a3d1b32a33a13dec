import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { arrayMapCheckBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { arrayMapAlloc, arrayMapAllocCheck } from '../shared/array.js';
import { ArrayMap } from '../runtime/array-map.js';

/** `BPF_MAP_TYPE_ARRAY` (array_map_ops): key_size 4; the only array that may be mmapable or an inner-map template. */
export function arrayMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_ARRAY, name: 'array', capability: 'none',
    checkBtf: arrayMapCheckBtf,
    allocCheck: (req) => { arrayMapAllocCheck(req); },
    alloc: (req, ctx) => arrayMapAlloc(env, req, ctx),
    create: (spec) => new ArrayMap(env, spec, false),
  });
}
