import type { BpfMap, MapInfo, MapValueField } from '@bpfkit/kernel-api';
import { BpfMapType as M } from '@bpfkit/uapi';

/** The BTF a map was created with (`map->btf`, `btf_key_type_id`, `btf_value_type_id`). */
export interface MapBtfIds {
  readonly btfId: number;
  readonly keyTypeId: number;
  readonly valueTypeId: number;
}

/** The program type a prog array was first used with (`array->aux->owner`). */
export interface ProgArrayOwner {
  readonly progType: number;
  readonly expectedAttachType: number;
}

/**
 * What the kernel keeps of a created map (`struct bpf_map`): its attributes,
 * the live map of the map type, and the syscall-side state (`frozen`,
 * `writecnt`) the element commands check.
 */
export class MapRecord {
  /** `map->frozen`: set once by BPF_MAP_FREEZE; syscall writes are EPERM from then on. */
  frozen = false;
  /** `map->writecnt`: writable mmaps alive (BPF_MAP_FREEZE gives EBUSY while any is). */
  writeActive = 0;
  /** Prog arrays: the first program type stored in or using the map. */
  owner: ProgArrayOwner | undefined;
  /** `map->usercnt`: files and pins on the map (programs and map slots do not count). */
  urefs = 0;
  /** The rest of `map_release_uref` (`bpf_obj_free_timer` on every element), set when values hold timers. */
  releaseTimers: (() => void) | undefined = undefined;

  constructor(
    /** `map_type`, sizes, `max_entries`, `map_flags` (BPF_F_RDONLY/WRONLY cleared: they belong to the fd). */
    readonly info: MapInfo,
    readonly name: string,
    readonly mapExtra: bigint,
    readonly ifindex: number,
    /** The map type's run-time half; undefined when the kernel has no arena or the type has no runtime yet. */
    readonly live: BpfMap | undefined,
    /** `map->record`: the value's special fields (spin lock, timer, kptrs…), empty without BTF. */
    readonly fields: readonly MapValueField[],
    readonly btf: MapBtfIds | undefined,
    readonly btfVmlinuxValueTypeId: number,
    readonly innerMapMeta: MapInfo | undefined,
    /** `bpf_map_memory_usage`, as `memlock` in fdinfo. */
    readonly memlock = 0,
  ) {}

  /** `btf_record_has_field(map->record, BPF_SPIN_LOCK)`: BPF_F_LOCK needs it. */
  get hasSpinLock(): boolean {
    return this.fields.some((f) => f.kind === 'bpf_spin_lock');
  }
}

/**
 * `bpf_map_put_uref`: drops a user reference; the last one cancels and frees
 * the map's timers and clears a prog array (`map_release_uref`), which breaks
 * the cycle of a program that holds the array it sits in.
 */
export function mapPutUref(map: MapRecord): void {
  map.urefs--;
  if (map.urefs === 0) map.releaseTimers?.();
  if (map.urefs !== 0 || map.info.mapType !== M.BPF_MAP_TYPE_PROG_ARRAY || map.live === undefined) return;
  const key = new Uint8Array(4);
  const kv = new DataView(key.buffer);
  for (let i = 0; i < map.info.maxEntries; i++) {
    kv.setUint32(0, i, true);
    try {
      map.live.sysDelete(key);
    } catch {
      // an empty slot: nothing to drop
    }
  }
}

/** Per-CPU maps: a syscall value is one `round_up(value_size, 8)` slot per possible CPU. */
const PERCPU_TYPES = new Set<number>([
  M.BPF_MAP_TYPE_PERCPU_HASH, M.BPF_MAP_TYPE_LRU_PERCPU_HASH, M.BPF_MAP_TYPE_PERCPU_ARRAY, M.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE,
]);

/** `IS_FD_MAP`: values are fds going in and ids coming out, a u32 either way. */
const FD_MAP_TYPES = new Set<number>([
  M.BPF_MAP_TYPE_PROG_ARRAY, M.BPF_MAP_TYPE_PERF_EVENT_ARRAY, M.BPF_MAP_TYPE_CGROUP_ARRAY,
  M.BPF_MAP_TYPE_ARRAY_OF_MAPS, M.BPF_MAP_TYPE_HASH_OF_MAPS,
]);

/** True for the per-CPU map types. */
export function isPercpuMap(mapType: number): boolean {
  return PERCPU_TYPES.has(mapType);
}

/** True for `IS_FD_MAP` types. */
export function isFdMap(mapType: number): boolean {
  return FD_MAP_TYPES.has(mapType);
}

/**
 * `bpf_map_value_size`: the bytes one syscall value takes.
 *
 * @example
 * mapValueSize({ mapType: BpfMapType.BPF_MAP_TYPE_PERCPU_ARRAY, valueSize: 4 } as MapInfo, 2); // 16
 */
export function mapValueSize(info: MapInfo, cpus: number): number {
  if (PERCPU_TYPES.has(info.mapType)) return Math.ceil(info.valueSize / 8) * 8 * cpus;
  if (FD_MAP_TYPES.has(info.mapType)) return 4;
  return info.valueSize;
}
