import type { MapAllocation, MapCreateContext, MapCreateRequest } from '@bpfkit/kernel-api';
import { BPF_F_INNER_MAP, BPF_F_MMAPABLE, BPF_F_NUMA_NODE, BPF_F_PRESERVE_ELEMS, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, BpfMapType } from '@bpfkit/uapi';
import { allocated, areaAlloc, flagsAccessOk, PCPU_MIN_UNIT_SIZE, reject, roundUp, roundUpPow2, unknownFlags } from '../checks.js';
import type { MapEnv } from '../deps.js';
import { BPF_F_ACCESS_MASK, NUMA_NO_NODE } from '../flags.js';

/** `ARRAY_CREATE_FLAG_MASK`. */
const ARRAY_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
const INT_MAX = 0x7fffffff;
/** `sizeof(struct bpf_array)` before its value area. */
const BPF_ARRAY_HEADER = 0x150;

/** `array_map_alloc_check` (arraymap.c), shared by every array-backed type. */
export function arrayMapAllocCheck(req: MapCreateRequest): void {
  const percpu = req.mapType === BpfMapType.BPF_MAP_TYPE_PERCPU_ARRAY;
  if (req.maxEntries === 0) reject('EINVAL', 'array-max-entries-zero', 'max_entries must be > 0');
  if (req.keySize !== 4) reject('EINVAL', 'array-key-size', 'array maps need key_size 4');
  if (req.valueSize === 0) reject('EINVAL', 'array-value-size-zero', 'value_size must be > 0');
  if (unknownFlags(req.mapFlags, ARRAY_CREATE_FLAG_MASK) !== 0) reject('EINVAL', 'array-flags', 'map_flags has bits array maps do not take');
  if (!flagsAccessOk(req.mapFlags)) reject('EINVAL', 'flags-rdonly-and-wronly-prog', 'BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together');
  if (percpu && req.numaNode !== NUMA_NO_NODE) reject('EINVAL', 'percpu-numa-node', 'per-CPU arrays take no NUMA node');
  if (req.mapType !== BpfMapType.BPF_MAP_TYPE_ARRAY && (req.mapFlags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)) !== 0) {
    reject('EINVAL', 'array-mmapable-or-inner-map-flag', 'BPF_F_MMAPABLE and BPF_F_INNER_MAP are for plain arrays only');
  }
  if (req.mapType !== BpfMapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY && (req.mapFlags & BPF_F_PRESERVE_ELEMS) !== 0) {
    reject('EINVAL', 'array-preserve-elems-flag', 'BPF_F_PRESERVE_ELEMS is for perf event arrays only');
  }
  if (req.valueSize > INT_MAX) reject('E2BIG', 'array-value-size-too-big', 'value_size exceeds INT_MAX');
  if (percpu && roundUp(req.valueSize, 8) > PCPU_MIN_UNIT_SIZE) {
    reject('E2BIG', 'percpu-value-size-too-big', `per-CPU values are limited to ${String(PCPU_MIN_UNIT_SIZE)} bytes`);
  }
}

/** `fd_array_map_alloc_check`: prog, perf event, cgroup arrays and array of maps store 4-byte fds. */
export function fdArrayMapAllocCheck(req: MapCreateRequest): void {
  if (req.valueSize !== 4) reject('EINVAL', 'fd-array-value-size', 'fd arrays need value_size 4');
  if ((req.mapFlags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== 0) {
    reject('EINVAL', 'fd-array-prog-access-flags', 'fd arrays take no BPF_F_RDONLY_PROG/BPF_F_WRONLY_PROG');
  }
  arrayMapAllocCheck(req);
}

/** `array_map_alloc`: the power-of-two rounding against Spectre v1 and the allocation. */
export function arrayMapAlloc(env: MapEnv, req: MapCreateRequest, ctx: MapCreateContext): MapAllocation {
  const percpu = req.mapType === BpfMapType.BPF_MAP_TYPE_PERCPU_ARRAY;
  const elemSize = roundUp(req.valueSize, 8);
  let maxEntries = req.maxEntries;
  if (!ctx.bypassSpecV1()) {
    // The index mask is the next power of two minus one; in u32 that wraps for > 2^31.
    maxEntries = roundUpPow2(req.maxEntries);
    if (maxEntries > 0xffffffff) reject('E2BIG', 'array-max-entries-overflow', 'max_entries rounded to a power of two overflows u32');
  }
  let bytes = BPF_ARRAY_HEADER;
  if (percpu) {
    bytes += maxEntries * 8;
    areaAlloc(env, bytes, 'the array');
    bytes += areaAlloc(env, maxEntries * elemSize * env.possibleCpus, 'the per-CPU values');
  } else if ((req.mapFlags & BPF_F_MMAPABLE) !== 0) {
    bytes = roundUp(bytes, env.pageSize) + roundUp(maxEntries * elemSize, env.pageSize);
    areaAlloc(env, bytes, 'the array');
  } else {
    bytes += maxEntries * elemSize;
    areaAlloc(env, bytes, 'the array');
  }
  return allocated(req, bytes);
}
