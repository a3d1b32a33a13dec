import { BpfError, type MapAllocation, type MapCreateRequest } from '@bpfkit/kernel-api';
import { BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG } from '@bpfkit/uapi';
import type { ErrnoName } from '@bpfkit/uapi';
import type { MapEnv } from './deps.js';

/** Throws the map-create error: `maps:<rule>`. */
export function reject(code: ErrnoName, rule: string, message: string): never {
  throw new BpfError(code, `maps:${rule}`, message);
}

/** `bpf_map_flags_access_ok`: a map cannot be both read-only and write-only for programs. */
export function flagsAccessOk(flags: number): boolean {
  return (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
}

/** Flags outside `mask` (unsigned 32-bit view). */
export function unknownFlags(flags: number, mask: number): number {
  return (flags & ~mask) >>> 0;
}

export function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** `roundup_pow_of_two` in u64 arithmetic. */
export function roundUpPow2(n: number): number {
  if (n <= 1) return 1;
  return 2 ** Math.ceil(Math.log2(n));
}

/** `is_power_of_2` for a u32. */
export function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** `bpf_map_area_alloc` (and friends): ENOMEM when the simulated machine cannot hold `bytes`. */
export function areaAlloc(env: MapEnv, bytes: number, what: string): number {
  if (bytes > env.memoryLimitBytes) reject('ENOMEM', 'alloc-failed', `cannot allocate ${bytes} bytes for ${what}`);
  return bytes;
}

/** The common tail of `alloc`: the map as `bpf_map_init_from_attr` records it. */
export function allocated(req: MapCreateRequest, memoryBytes: number, extra: Partial<MapAllocation> = {}): MapAllocation {
  return { maxEntries: req.maxEntries, mapFlags: req.mapFlags, memoryBytes, ...extra };
}

/** `PCPU_MIN_UNIT_SIZE`: the largest per-CPU value. */
export const PCPU_MIN_UNIT_SIZE = 32 * 1024;
/** `MAX_BPF_STACK`. */
export const MAX_BPF_STACK = 512;
/** `sizeof(struct bpf_local_storage_elem)` on x86-64 (measured: values up to 65535 - 128 fit). */
export const LOCAL_STORAGE_ELEM_SIZE = 128;

/** `BPF_LOCAL_STORAGE_MAX_VALUE_SIZE`. */
export function localStorageMaxValueSize(env: MapEnv): number {
  return Math.min(env.kmallocMaxSize - MAX_BPF_STACK - LOCAL_STORAGE_ELEM_SIZE, 0xffff - LOCAL_STORAGE_ELEM_SIZE);
}
