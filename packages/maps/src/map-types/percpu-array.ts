import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { arrayMapCheckBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { arrayMapAlloc, arrayMapAllocCheck } from '../shared/array.js';
import { ArrayMap } from '../runtime/array-map.js';

/** `BPF_MAP_TYPE_PERCPU_ARRAY` (percpu_array_map_ops). */
export function percpuArrayMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_PERCPU_ARRAY, name: 'percpu_array', capability: 'none',
    checkBtf: arrayMapCheckBtf,
    allocCheck: (req) => { arrayMapAllocCheck(req); },
    alloc: (req, ctx) => arrayMapAlloc(env, req, ctx),
    create: (spec) => new ArrayMap(env, spec, true),
  });
}
