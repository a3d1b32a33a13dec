import type { MapAllocation, MapCreateRequest } from '@bpfkit/kernel-api';
import { BPF_F_NUMA_NODE } from '@bpfkit/uapi';
import { allocated, areaAlloc, flagsAccessOk, reject, unknownFlags } from '../checks.js';
import type { MapEnv } from '../deps.js';
import { BPF_F_ACCESS_MASK } from '../flags.js';

/** `QUEUE_STACK_CREATE_FLAG_MASK`. */
const QUEUE_STACK_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;

/** `queue_stack_map_alloc_check` (queue_stack_maps.c). */
export function queueStackMapAllocCheck(env: MapEnv, req: MapCreateRequest): void {
  if (req.maxEntries === 0 || req.keySize !== 0 || req.valueSize === 0 ||
      unknownFlags(req.mapFlags, QUEUE_STACK_CREATE_FLAG_MASK) !== 0 || !flagsAccessOk(req.mapFlags)) {
    reject('EINVAL', 'queue-stack-attrs', 'need key_size 0, value_size > 0, max_entries > 0 and only NUMA/access flags');
  }
  if (req.valueSize > env.kmallocMaxSize) reject('E2BIG', 'queue-stack-value-too-big', 'value_size above KMALLOC_MAX_SIZE');
}

/** `queue_stack_map_alloc`: one slot more than max_entries. */
export function queueStackMapAlloc(env: MapEnv, req: MapCreateRequest): MapAllocation {
  return allocated(req, areaAlloc(env, 64 + req.valueSize * (req.maxEntries + 1), 'the queue'));
}
