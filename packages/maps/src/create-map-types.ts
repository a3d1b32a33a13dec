import type { MapTypeDescriptor, MapTypeRegistry } from '@bpfkit/kernel-api';
import { resolveDeps, type MapEnv, type MapTypesDeps } from './deps.js';
import type { DescriptorLookup } from './define.js';
import { arenaMapType } from './map-types/arena.js';
import { arrayOfMapsMapType } from './map-types/array-of-maps.js';
import { arrayMapType } from './map-types/array.js';
import { bloomFilterMapType } from './map-types/bloom-filter.js';
import { cgroupArrayMapType } from './map-types/cgroup-array.js';
import { cgroupStorageMapType } from './map-types/cgroup-storage.js';
import { cgrpStorageMapType } from './map-types/cgrp-storage.js';
import { cpumapMapType } from './map-types/cpumap.js';
import { devmapHashMapType } from './map-types/devmap-hash.js';
import { devmapMapType } from './map-types/devmap.js';
import { hashOfMapsMapType } from './map-types/hash-of-maps.js';
import { hashMapType } from './map-types/hash.js';
import { inodeStorageMapType } from './map-types/inode-storage.js';
import { lpmTrieMapType } from './map-types/lpm-trie.js';
import { lruHashMapType } from './map-types/lru-hash.js';
import { lruPercpuHashMapType } from './map-types/lru-percpu-hash.js';
import { offloadMapType } from './map-types/offload.js';
import { percpuArrayMapType } from './map-types/percpu-array.js';
import { percpuCgroupStorageMapType } from './map-types/percpu-cgroup-storage.js';
import { percpuHashMapType } from './map-types/percpu-hash.js';
import { perfEventArrayMapType } from './map-types/perf-event-array.js';
import { progArrayMapType } from './map-types/prog-array.js';
import { queueMapType } from './map-types/queue.js';
import { reuseportSockarrayMapType } from './map-types/reuseport-sockarray.js';
import { ringbufMapType } from './map-types/ringbuf.js';
import { skStorageMapType } from './map-types/sk-storage.js';
import { sockhashMapType } from './map-types/sockhash.js';
import { sockmapMapType } from './map-types/sockmap.js';
import { stackTraceMapType } from './map-types/stack-trace.js';
import { stackMapType } from './map-types/stack.js';
import { structOpsMapType } from './map-types/struct-ops.js';
import { taskStorageMapType } from './map-types/task-storage.js';
import { userRingbufMapType } from './map-types/user-ringbuf.js';
import { xskmapMapType } from './map-types/xskmap.js';

type Factory = (env: MapEnv, lookup: DescriptorLookup) => MapTypeDescriptor;

/** Every map type of Linux 6.18 (`bpf_map_types[]`); `unspec` has no ops. */
const FACTORIES: readonly Factory[] = [
  hashMapType, arrayMapType, progArrayMapType, perfEventArrayMapType, percpuHashMapType, percpuArrayMapType,
  stackTraceMapType, cgroupArrayMapType, lruHashMapType, lruPercpuHashMapType, lpmTrieMapType, arrayOfMapsMapType,
  hashOfMapsMapType, devmapMapType, sockmapMapType, cpumapMapType, xskmapMapType, sockhashMapType,
  cgroupStorageMapType, reuseportSockarrayMapType, percpuCgroupStorageMapType, queueMapType, stackMapType,
  skStorageMapType, devmapHashMapType, structOpsMapType, ringbufMapType, inodeStorageMapType, taskStorageMapType,
  bloomFilterMapType, userRingbufMapType, cgrpStorageMapType, arenaMapType,
];

/**
 * The map-type registry: create-time checks of every map type, on a simulated machine.
 *
 * @example
 * const maps = createMapTypes({ pageSize: 4096, possibleCpus: 4 });
 * const ringbuf = maps.get(BpfMapType.BPF_MAP_TYPE_RINGBUF)!;
 * ringbuf.alloc(req, ctx); // throws BpfError EINVAL when max_entries is not a page multiple
 */
export function createMapTypes(deps: MapTypesDeps = {}): MapTypeRegistry {
  const env = resolveDeps(deps);
  const byType = new Map<number, MapTypeDescriptor>();
  const lookup: DescriptorLookup = (type) => byType.get(type);
  for (const factory of FACTORIES) {
    const d = factory(env, lookup);
    byType.set(d.type, d);
  }
  const all = Object.freeze([...byType.values()].sort((a, b) => a.type - b.type));
  const offload = offloadMapType();
  return Object.freeze({ get: lookup, offload, all: () => all });
}
