import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { mapCheckNoBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { arrayMapAlloc, fdArrayMapAllocCheck } from '../shared/array.js';
import { FdArrayMap } from '../runtime/fd-array.js';

/** `BPF_MAP_TYPE_CGROUP_ARRAY` (cgroup_array_map_ops). */
export function cgroupArrayMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_CGROUP_ARRAY, name: 'cgroup_array', capability: 'none',
    checkBtf: mapCheckNoBtf,
    allocCheck: (req) => { fdArrayMapAllocCheck(req); },
    alloc: (req, ctx) => arrayMapAlloc(env, req, ctx),
    create: (spec) => new FdArrayMap(env, spec, { name: 'cgroup_array', sysLookupGivesId: false, mapInMap: false }),
  });
}
