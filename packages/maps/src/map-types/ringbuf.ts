import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import type { MapEnv } from '../deps.js';
import { ringbufMapAlloc } from '../shared/ringbuf.js';
import { RingbufMap } from '../runtime/ringbuf.js';

/** `BPF_MAP_TYPE_RINGBUF` (ringbuf_map_ops): max_entries is the data size, a power of two and a page multiple. */
export function ringbufMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_RINGBUF, name: 'ringbuf', capability: 'none',
    alloc: (req) => ringbufMapAlloc(env, req),
    create: (spec) => new RingbufMap(env, spec, false),
  });
}
