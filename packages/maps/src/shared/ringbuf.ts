import type { MapAllocation, MapCreateRequest } from '@bpfkit/kernel-api';
import { BPF_F_NUMA_NODE } from '@bpfkit/uapi';
import { allocated, areaAlloc, isPowerOfTwo, reject, unknownFlags } from '../checks.js';
import type { MapEnv } from '../deps.js';

/** `ringbuf_map_alloc` (ringbuf.c), shared by both ring buffer types. */
export function ringbufMapAlloc(env: MapEnv, req: MapCreateRequest): MapAllocation {
  if (unknownFlags(req.mapFlags, BPF_F_NUMA_NODE) !== 0) reject('EINVAL', 'ringbuf-flags', 'ring buffers take only BPF_F_NUMA_NODE');
  if (req.keySize !== 0 || req.valueSize !== 0) reject('EINVAL', 'ringbuf-key-value-size', 'ring buffers need key_size 0 and value_size 0');
  if (!isPowerOfTwo(req.maxEntries) || req.maxEntries % env.pageSize !== 0) {
    reject('EINVAL', 'ringbuf-size', 'max_entries must be a power of two and a multiple of the page size');
  }
  // Data pages are mapped twice back to back, plus the consumer and producer pages.
  return allocated(req, areaAlloc(env, req.maxEntries + 3 * env.pageSize, 'the ring buffer'));
}
