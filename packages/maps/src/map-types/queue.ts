import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import type { MapEnv } from '../deps.js';
import { queueStackMapAlloc, queueStackMapAllocCheck } from '../shared/queue-stack.js';
import { QueueStackMap } from '../runtime/queue-stack.js';

/** `BPF_MAP_TYPE_QUEUE` (queue_map_ops): FIFO of values; key_size must be 0. */
export function queueMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_QUEUE, name: 'queue', capability: 'CAP_BPF',
    allocCheck: (req) => { queueStackMapAllocCheck(env, req); },
    alloc: (req) => queueStackMapAlloc(env, req),
    create: (spec) => new QueueStackMap(env, spec, false),
  });
}
