import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import type { MapEnv } from '../deps.js';
import { ringbufMapAlloc } from '../shared/ringbuf.js';
import { RingbufMap } from '../runtime/ringbuf.js';

/** `BPF_MAP_TYPE_USER_RINGBUF` (user_ringbuf_map_ops): same create rules as ringbuf. */
export function userRingbufMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_USER_RINGBUF, name: 'user_ringbuf', capability: 'none',
    alloc: (req) => ringbufMapAlloc(env, req),
    create: (spec) => new RingbufMap(env, spec, true),
  });
}
