import type { BpfTimerTable, MapValueField } from '@bpfkit/kernel-api';

/** What the maps ask of the kernel's timers: `bpf_obj_free_timer`, and all of a map's timers when it goes. */
export type MapTimerHooks = Pick<BpfTimerTable, 'free' | 'freeMap'>;

/** Kinds `copy_map_value` leaves alone and `bpf_obj_free_fields` does not reset: the locks. */
const LOCK_KINDS = new Set(['bpf_spin_lock', 'bpf_res_spin_lock']);

/**
 * A map value's special fields (`map->record`) flattened into typed arrays, so
 * the copies on a program's update path allocate nothing.
 */
export interface ValueLayout {
  readonly size: number;
  /** Field offsets and sizes, sorted by offset. */
  readonly offsets: Int32Array;
  readonly sizes: Int32Array;
  /** 1 where the field is a lock. */
  readonly isLock: Uint8Array;
  /** Offset of the `bpf_spin_lock`, or -1 (`btf_record_has_field(rec, BPF_SPIN_LOCK)`). */
  readonly spinLockOff: number;
  /** Offset of the `bpf_timer` (`rec->timer_off`), or -1. */
  readonly timerOff: number;
  /** The kernel's timers, which an overwritten value's timer is freed in (set when `timerOff` is). */
  readonly timers: MapTimerHooks | undefined;
}

const NO_OFFSETS = new Int32Array(0);
const NO_SIZES = new Int32Array(0);
const NO_LOCKS = new Uint8Array(0);

/**
 * Flattens `spec.valueFields`.
 *
 * @example
 * const layout = valueLayout(16, [{ kind: 'bpf_spin_lock', offset: 0, size: 4 }]);
 * layout.spinLockOff; // 0
 */
export function valueLayout(size: number, fields: readonly MapValueField[], timers?: MapTimerHooks): ValueLayout {
  // Most values have no special fields: they share one set of (empty, never written) arrays.
  if (fields.length === 0) return { size, offsets: NO_OFFSETS, sizes: NO_SIZES, isLock: NO_LOCKS, spinLockOff: -1, timerOff: -1, timers: undefined };
  const sorted = [...fields].sort((a, b) => a.offset - b.offset);
  const offsets = new Int32Array(sorted.length);
  const sizes = new Int32Array(sorted.length);
  const isLock = new Uint8Array(sorted.length);
  let spinLockOff = -1;
  let timerOff = -1;
  // Plain loops: TypedArray.from with a mapping function is slow, and every map creation gets here.
  for (let i = 0; i < sorted.length; i++) {
    const f = sorted[i];
    if (f === undefined) continue;
    offsets[i] = f.offset;
    sizes[i] = f.size;
    isLock[i] = LOCK_KINDS.has(f.kind) ? 1 : 0;
    if (spinLockOff === -1 && f.kind === 'bpf_spin_lock') spinLockOff = f.offset;
    if (timerOff === -1 && f.kind === 'bpf_timer') timerOff = f.offset;
  }
  return { size, offsets, sizes, isLock, spinLockOff, timerOff, timers: timerOff < 0 ? undefined : timers };
}

/**
 * Copies `len` bytes. Within one buffer (a program's copy inside the arena) it
 * allocates nothing; from a user's buffer it may create a view.
 *
 * @example
 * copyBytes(arena.bytes, dst, arena.bytes, src, 16); // within the arena: no allocation
 */
export function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): void {
  if (len <= 0) return;
  if (len <= 64) {
    // A loop beats a builtin call for the small values maps hold; backwards when the ranges overlap that way.
    if (dst === src && dstOff > srcOff && dstOff < srcOff + len) {
      for (let i = len - 1; i >= 0; i--) dst[dstOff + i] = src[srcOff + i] ?? 0;
    } else {
      for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i] ?? 0;
    }
  } else if (dst.buffer === src.buffer && dst.byteOffset === src.byteOffset) {
    dst.copyWithin(dstOff, srcOff, srcOff + len);
  } else {
    dst.set(src.subarray(srcOff, srcOff + len), dstOff);
  }
}

/**
 * `copy_map_value`: copies `layout.size` bytes except the special fields,
 * which the destination keeps (a user's bytes never become a timer or a kptr).
 *
 * @example
 * copyMapValue(layout, arena.bytes, valueAddr, userBytes, 0);
 */
export function copyMapValue(layout: ValueLayout, dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number): void {
  const n = layout.offsets.length;
  if (n === 0) {
    copyBytes(dst, dstOff, src, srcOff, layout.size);
    return;
  }
  let cur = 0;
  for (let i = 0; i < n; i++) {
    const off = layout.offsets[i] ?? 0;
    if (off > cur) copyBytes(dst, dstOff + cur, src, srcOff + cur, off - cur);
    cur = Math.max(cur, off + (layout.sizes[i] ?? 0));
  }
  if (layout.size > cur) copyBytes(dst, dstOff + cur, src, srcOff + cur, layout.size - cur);
}

/**
 * `bpf_obj_free_fields` after an update, and `check_and_init_map_value` on a
 * copy handed to user space: every special field but the locks reads as zero.
 *
 * @example
 * zeroSpecialFields(layout, out, 0, true); // what user space sees of a timer
 */
export function zeroSpecialFields(layout: ValueLayout, dst: Uint8Array, dstOff: number, locksToo: boolean): void {
  for (let i = 0; i < layout.offsets.length; i++) {
    if (!locksToo && layout.isLock[i] === 1) continue;
    const off = dstOff + (layout.offsets[i] ?? 0);
    dst.fill(0, off, off + (layout.sizes[i] ?? 0));
  }
}

/**
 * `copy_map_value` then `bpf_obj_free_fields`, as an update without BPF_F_LOCK
 * does. `dst` is the arena and `dstOff` the value's address: the value's timer
 * (keyed by its address) is cancelled and freed.
 *
 * @example
 * storeMapValue(layout, arena.bytes, valueAddr, userBytes, 0, false);
 */
export function storeMapValue(layout: ValueLayout, dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, lockFlag: boolean): void {
  copyMapValue(layout, dst, dstOff, src, srcOff);
  // BPF_F_LOCK updates go through copy_map_value_locked, which keeps timers and kptrs.
  if (lockFlag || layout.offsets.length === 0) return;
  zeroSpecialFields(layout, dst, dstOff, false);
  if (layout.timerOff >= 0) layout.timers?.free(dstOff + layout.timerOff);
}

/**
 * `bpf_obj_free_fields` on an element leaving its map (a delete, an element
 * an update replaced, an LRU eviction): its timer is cancelled and freed.
 *
 * @example
 * freeValueFields(layout, valueAddr);
 */
export function freeValueFields(layout: ValueLayout, valueAddr: number): void {
  if (layout.timerOff >= 0) layout.timers?.free(valueAddr + layout.timerOff);
}

/**
 * What `bpf_map_copy_value` hands user space: the value with every special field zeroed.
 *
 * @example
 * const copy = loadMapValue(layout, arena.bytes, valueAddr);
 */
export function loadMapValue(layout: ValueLayout, src: Uint8Array, srcOff: number): Uint8Array {
  const out = src.slice(srcOff, srcOff + layout.size);
  zeroSpecialFields(layout, out, 0, true);
  return out;
}
