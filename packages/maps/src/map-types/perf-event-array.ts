import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { mapCheckNoBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { arrayMapAlloc, fdArrayMapAllocCheck } from '../shared/array.js';
import { PerfEventArrayMap } from '../runtime/perf-event-array.js';

/** `BPF_MAP_TYPE_PERF_EVENT_ARRAY` (perf_event_array_map_ops): the one type that takes BPF_F_PRESERVE_ELEMS. */
export function perfEventArrayMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY, name: 'perf_event_array', capability: 'none',
    checkBtf: mapCheckNoBtf,
    allocCheck: (req) => { fdArrayMapAllocCheck(req); },
    alloc: (req, ctx) => arrayMapAlloc(env, req, ctx),
    create: (spec) => new PerfEventArrayMap(env, spec),
  });
}
