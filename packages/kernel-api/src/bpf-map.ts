import type { MapInfo } from './maps.js';
import type { BpfArenaOps } from './bpf-arena.js';

/**
 * A kernel object that a map slot holds by reference: the program of a
 * prog array, the inner map of a map-in-map, the perf event of a perf event
 * array (`map_fd_get_ptr` gave it, `map_fd_put_ptr` drops it).
 */
export interface MapSlotObject {
  /** The object's id, what a syscall lookup of an fd map returns (`map_fd_sys_lookup_elem`). */
  readonly id: number;
  /** The object itself: a `BpfMap` for map-in-map, a `RunnableProgram` for prog arrays. */
  readonly target: unknown;
  /** Drops the slot's reference. */
  put(): void;
}

/** `map_fd_get_ptr`'s lookup of an fd written into an fd map's value, done by the kernel. */
export interface MapFdResolver {
  /**
   * The object behind `fd` with a new reference. Throws `BpfError` as the
   * kernel does: EBADF for no such fd, EINVAL for an object of the wrong kind
   * or one that does not fit the map (another prog type, an incompatible inner map).
   */
  resolve(fd: number): MapSlotObject;
}

/** What the kernel hands a syscall-side map operation besides key and value. */
export interface MapSyscallContext {
  /** For fd maps (prog arrays, map-in-map, perf event arrays, cgroup arrays). */
  readonly fds?: MapFdResolver;
  /**
   * The open file the caller named the map through: a perf event array ties
   * the slot it fills to it and empties the slot when that file is released
   * (see {@link BpfMap.mapRelease}).
   */
  readonly file?: object;
}

/**
 * A live map: `struct bpf_map` and its `bpf_map_ops`, in two halves.
 *
 * - The **syscall** half (`sys*`) takes and returns the caller's bytes, as
 *   `BPF_MAP_*_ELEM` copy them: per-CPU values are `round_up(value_size, 8)`
 *   times the possible CPUs; fd maps take fds and return ids. Failures throw
 *   `BpfError` with the kernel's errno (ENOENT, EEXIST, E2BIG, EINVAL, ENOTSUPP…).
 * - The **program** half takes arena addresses and returns what the helper
 *   returns in r0 (a value address or 0; 0 or a negative errno). It never
 *   allocates a JavaScript object per call: it is on the VM's hot path.
 *
 * @example
 * map.sysUpdate(key, value, BPF_ANY, {});
 * map.sysLookup(key, 0);               // the value bytes, or throws ENOENT
 * const v = map.lookupElem(keyAddr, 0); // from a program: the value's address, or 0
 */
export interface BpfMap {
  readonly info: MapInfo;
  /** The address a program holds for this map (`ld_imm64` with `BPF_PSEUDO_MAP_FD`). */
  readonly address: number;

  /**
   * `BPF_MAP_LOOKUP_ELEM` (`bpf_map_copy_value`). `flags` may be `BPF_F_LOCK`.
   * Bloom filters have no key: the kernel reads the value from user space
   * and peeks it, so for them `key` carries the value.
   */
  sysLookup(key: Uint8Array, flags: number): Uint8Array;
  /** `BPF_MAP_UPDATE_ELEM` (`bpf_map_update_value`): `BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`, `BPF_F_LOCK`. */
  sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, ctx: MapSyscallContext): void;
  /** `BPF_MAP_DELETE_ELEM`. */
  sysDelete(key: Uint8Array): void;
  /** `BPF_MAP_GET_NEXT_KEY`: the first key for `undefined`; throws ENOENT after the last. */
  sysGetNextKey(key: Uint8Array | undefined): Uint8Array;
  /** `BPF_MAP_LOOKUP_AND_DELETE_ELEM` (queue/stack pop when `key` is undefined). */
  sysLookupAndDelete(key: Uint8Array | undefined, flags: number): Uint8Array;

  /** `bpf_map_lookup_elem` from a program on `cpu`: the value's address, or 0. */
  lookupElem(keyAddr: number, cpu: number): number;
  /** `bpf_map_update_elem`: 0 or a negative errno. */
  updateElem(keyAddr: number, valueAddr: number, flags: number, cpu: number): number;
  /** `bpf_map_delete_elem`: 0 or a negative errno. */
  deleteElem(keyAddr: number, cpu: number): number;
  /** `bpf_map_push_elem` (queue, stack, bloom filter add): 0 or a negative errno. */
  pushElem(valueAddr: number, flags: number): number;
  /** `bpf_map_pop_elem`: copies into `valueAddr`; 0 or a negative errno. */
  popElem(valueAddr: number): number;
  /** `bpf_map_peek_elem` (bloom filter: membership test): 0 or a negative errno. */
  peekElem(valueAddr: number): number;
  /**
   * `bpf_for_each_map_elem`: calls `cb(keyAddr, valueAddr)` for each element
   * in the map's order until it returns non-zero; returns how many it called.
   */
  forEachElem(cpu: number, cb: (keyAddr: number, valueAddr: number) => number): number;

  /** Type-specific operations, present on the types that have them. */
  readonly ringbuf?: RingbufOps;
  /** `BPF_MAP_TYPE_USER_RINGBUF`: the kernel's side, for `bpf_user_ringbuf_drain`. */
  readonly userRingbuf?: UserRingbufOps;
  readonly perfEvents?: PerfEventArrayOps;
  readonly slots?: FdSlotOps;
  /** `BPF_MAP_TYPE_ARENA`: its pages and user range. */
  readonly bpfArena?: BpfArenaOps;
  /** `BPF_F_MMAPABLE` arrays (and ringbufs): the bytes `mmap()` maps, for `BPF_PSEUDO_MAP_VALUE` and the task API. */
  readonly mmapRegion?: { readonly addr: number; readonly size: number };
  /** `map_direct_value_addr`: the address of value byte `off` for `BPF_PSEUDO_MAP_VALUE` (arrays with one entry…). */
  directValueAddr?(off: number): number;
  /**
   * Hash maps (`htab`): `n_buckets`, the table's bucket count. With
   * {@link bucketKeys} it is what `BPF_MAP_LOOKUP_BATCH` and
   * `BPF_MAP_LOOKUP_AND_DELETE_BATCH` walk: their `in_batch`/`out_batch` are bucket indexes.
   */
  readonly nBuckets?: number;
  /** Hash maps: the keys bucket `index` holds (jhash with the map's seed), in the bucket list's order. */
  bucketKeys?(index: number): Uint8Array[];

  /**
   * Maps whose values hold a `bpf_timer` (`map->record->timer_off`): where it
   * sits in a value, and the key `bpf_timer_cb` hands the callback.
   */
  readonly asyncFields?: MapAsyncFields;

  /**
   * `map_release`: one of the map's open files is being released (its last
   * reference went). Perf event arrays empty the slots filled through it.
   */
  mapRelease?(file: object): void;
  /** Frees the map's memory and drops every slot reference (the last `bpf_map_put`). */
  release(): void;
}

/** Prog arrays, map-in-map, perf event and cgroup arrays: the objects in their slots. */
export interface FdSlotOps {
  /** The object in slot `index` (prog arrays: `bpf_tail_call`'s lookup), or undefined. */
  at(index: number): MapSlotObject | undefined;
}

/** `BPF_MAP_TYPE_RINGBUF`: the producer side programs use, and a consumer like libbpf's `ring_buffer__poll`. */
export interface RingbufOps {
  /** `bpf_ringbuf_reserve`: a sample's address, or 0 when full. */
  reserve(size: number, flags: number): number;
  /** `bpf_ringbuf_submit`. */
  submit(sampleAddr: number, flags: number): void;
  /** `bpf_ringbuf_discard`. */
  discard(sampleAddr: number, flags: number): void;
  /** `bpf_ringbuf_output`: 0 or a negative errno. */
  output(dataAddr: number, size: number, flags: number): number;
  /** `bpf_ringbuf_query` (`BPF_RB_AVAIL_DATA`, `BPF_RB_RING_SIZE`, `BPF_RB_CONS_POS`, `BPF_RB_PROD_POS`). */
  query(flags: number): bigint;
  /** Consumes every committed sample in order, skipping discarded ones; returns how many it handed to `cb`. */
  consume(cb: (sample: Uint8Array) => void): number;
}

/** The kernel's side of a user ring buffer (`__bpf_user_ringbuf_peek`, `__bpf_user_ringbuf_sample_release`). */
export interface UserRingbufOps {
  /**
   * The next sample user space committed: its address and size; or a negative errno: -ENODATA (none, or
   * one still busy), -EAGAIN (a discarded one, released already), -EINVAL / -E2BIG (a bad header or position).
   */
  peek(): { readonly addr: number; readonly size: number } | number;
  /** Moves `consumer_pos` past a sample of `size` bytes (and its header). */
  release(size: number): void;
}

/** One record a perf buffer consumer reads (libbpf's `sample_cb` / `lost_cb`). */
export interface PerfEventRecord {
  readonly cpu: number;
  /**
   * `PERF_RECORD_SAMPLE` raw data as the record carries it: the bytes the
   * program gave, then padding up to the record's 8-byte alignment (the
   * kernel's raw size, which libbpf hands to `sample_cb`). Undefined for `PERF_RECORD_LOST`.
   */
  readonly data?: Uint8Array;
  /** Records lost on this CPU's buffer (for `PERF_RECORD_LOST`). */
  readonly lost?: number;
}

/**
 * `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: slots hold perf events (a
 * `PerfEventOutput` the kernel resolved from the fd user space wrote);
 * `bpf_perf_event_output` writes into the ring of the slot's event, which user
 * space reads through its `mmap()` of the event.
 */
export interface PerfEventArrayOps {
  /**
   * `bpf_perf_event_output` from a program on `cpu`: 0 or a negative errno
   * (-E2BIG, -ENOENT for an empty slot, -EINVAL for an event that is not
   * `PERF_COUNT_SW_BPF_OUTPUT`, -EOPNOTSUPP for an event on another CPU,
   * -ENOSPC); `index` is `flags & BPF_F_INDEX_MASK` resolved by the helper.
   */
  output(cpu: number, index: number, dataAddr: number, size: number): number;
}

/** A map's async fields (`bpf_timer`), as the timer helpers and callbacks need them. */
export interface MapAsyncFields {
  /** Offset of the `bpf_timer` in a value. */
  readonly timerOff: number;
  /**
   * The key argument of a timer callback for the element whose value is at
   * `valueAddr`: a hash element's own key, or for an array a u32 cell holding
   * the index (rewritten by each call), as `bpf_timer_cb` computes it.
   */
  callbackKeyAddr(valueAddr: number): number;
}
