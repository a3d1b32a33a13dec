import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_STACK_BUILD_ID, BPF_F_WRONLY, BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { mapCheckNoBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { allocated, areaAlloc, reject, roundUpPow2, unknownFlags } from '../checks.js';
import { StackTraceMap } from '../runtime/stack-trace.js';

/** `STACK_CREATE_FLAG_MASK`. */
const STACK_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_STACK_BUILD_ID;
/** `sizeof(struct bpf_stack_build_id)`. */
const BUILD_ID_SIZE = 32;

/** `BPF_MAP_TYPE_STACK_TRACE` (stack_trace_map_ops): values are arrays of u64 ips or build ids, at most perf_event_max_stack long. */
export function stackTraceMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_STACK_TRACE, name: 'stack_trace', capability: 'CAP_BPF',
    checkBtf: mapCheckNoBtf,
    alloc: (req) => {
      if (unknownFlags(req.mapFlags, STACK_CREATE_FLAG_MASK) !== 0) reject('EINVAL', 'stack-trace-flags', 'map_flags has bits stack trace maps do not take');
      if (req.maxEntries === 0 || req.keySize !== 4 || req.valueSize < 8 || req.valueSize % 8 !== 0) {
        reject('EINVAL', 'stack-trace-sizes', 'need max_entries > 0, key_size 4 and value_size a multiple of 8');
      }
      if ((req.mapFlags & BPF_F_STACK_BUILD_ID) !== 0) {
        if (req.valueSize % BUILD_ID_SIZE !== 0 || req.valueSize / BUILD_ID_SIZE > env.perfEventMaxStack) {
          reject('EINVAL', 'stack-trace-build-id-value-size', 'value_size must be a multiple of 32 and at most perf_event_max_stack entries');
        }
      } else if (req.valueSize / 8 > env.perfEventMaxStack) {
        reject('EINVAL', 'stack-trace-value-size', 'value_size holds more than perf_event_max_stack entries');
      }
      if (req.maxEntries > 2 ** 31) reject('E2BIG', 'stack-trace-max-entries-too-big', 'max_entries above 2^31');
      const nBuckets = roundUpPow2(req.maxEntries);
      let bytes = areaAlloc(env, nBuckets * 8 + 64, 'the buckets');
      bytes += areaAlloc(env, (16 + req.valueSize) * req.maxEntries, 'the preallocated stacks');
      return allocated(req, bytes);
    },
    create: (spec) => new StackTraceMap(env, spec),
  });
}
