import type { MapAsyncFields, MapRuntimeSpec } from '@bpfkit/kernel-api';
import { BPF_EXIST, BPF_F_LOCK, BPF_F_MMAPABLE, BPF_NOEXIST } from '@bpfkit/uapi';
import type { MapEnv } from '../deps.js';
import { NEG_E2BIG, NEG_EEXIST, NEG_EINVAL } from './errno.js';
import { check, fail, MapBase, putU32, round8, u32At, u32Bytes } from './map-base.js';
import { copyBytes, loadMapValue, storeMapValue } from './value-layout.js';

/**
 * `BPF_MAP_TYPE_ARRAY` and `BPF_MAP_TYPE_PERCPU_ARRAY` (arraymap.c): `max_entries`
 * values of `round_up(value_size, 8)` bytes in one arena block, one per
 * possible CPU for the per-CPU flavour. Elements always exist: delete is
 * EINVAL, BPF_NOEXIST is EEXIST.
 *
 * @example
 * const map = maps.get(BpfMapType.BPF_MAP_TYPE_ARRAY)!.create(spec);
 * map.lookupElem(keyAddr, 0); // the address of value *keyAddr, or 0 past max_entries
 */
export class ArrayMap extends MapBase {
  readonly mmapRegion?: { readonly addr: number; readonly size: number };
  protected readonly elemSize: number;
  protected readonly percpu: boolean;
  /** Where value `i` (CPU `c`) starts: `values + (i * cpus + c) * elemSize`. */
  protected readonly values: number;
  /** The u32 key `bpf_for_each_map_elem` hands its callback. */
  #forEachKey: number;
  readonly asyncFields?: MapAsyncFields;

  constructor(env: MapEnv, spec: MapRuntimeSpec, percpu: boolean) {
    super(env, spec);
    this.percpu = percpu;
    this.elemSize = round8(spec.info.valueSize);
    const n = spec.info.maxEntries * this.elemSize * (percpu ? env.possibleCpus : 1);
    if ((spec.info.mapFlags & BPF_F_MMAPABLE) !== 0) {
      // array_map_alloc: the values of an mmapable array start on a page so that mmap() can map them.
      const size = Math.ceil(n / env.pageSize) * env.pageSize;
      this.values = this.alloc(size, env.pageSize);
      this.mmapRegion = { addr: this.values, size };
    } else {
      this.values = this.alloc(n);
    }
    this.#forEachKey = this.alloc(8);
    const timerOff = this.layout.timerOff;
    if (timerOff >= 0 && !percpu) {
      // bpf_timer_cb computes the index from the value's place and passes a pointer to it.
      const keyCell = this.alloc(8);
      this.asyncFields = {
        timerOff,
        callbackKeyAddr: (valueAddr) => {
          putU32(this.bytes, keyCell, Math.floor((valueAddr - this.values) / this.elemSize));
          return keyCell;
        },
      };
    }
  }

  protected override get typeName(): string {
    return this.percpu ? 'percpu_array' : 'array';
  }

  /** The address of value `index` on `cpu` (no range check). */
  protected valueAddr(index: number, cpu: number): number {
    return this.values + (this.percpu ? index * this.possibleCpus + cpu : index) * this.elemSize;
  }

  override lookupElem(keyAddr: number, cpu: number): number {
    const index = u32At(this.bytes, keyAddr);
    if (index >= this.info.maxEntries) return 0;
    return this.valueAddr(index, this.percpu ? cpu : 0);
  }

  /** `array_map_update_elem` / `bpf_percpu_array_update`'s checks, in order: 0 or a negative errno. */
  protected checkUpdate(index: number, flags: number): number {
    if (this.percpu ? flags > BPF_EXIST : (flags & ~BPF_F_LOCK) > BPF_EXIST) return NEG_EINVAL;
    if (index >= this.info.maxEntries) return NEG_E2BIG;
    if ((flags & BPF_NOEXIST) !== 0) return NEG_EEXIST;
    if ((flags & BPF_F_LOCK) !== 0 && this.layout.spinLockOff < 0) return NEG_EINVAL;
    return 0;
  }

  override updateElem(keyAddr: number, valueAddr: number, flags: number, cpu: number): number {
    const index = u32At(this.bytes, keyAddr);
    const r = this.checkUpdate(index, flags);
    if (r !== 0) return r;
    const bytes = this.bytes;
    storeMapValue(this.layout, bytes, this.valueAddr(index, this.percpu ? cpu : 0), bytes, valueAddr, (flags & BPF_F_LOCK) !== 0);
    return 0;
  }

  override deleteElem(): number {
    return NEG_EINVAL;
  }

  override forEachElem(cpu: number, cb: (keyAddr: number, valueAddr: number) => number): number {
    let n = 0;
    const key = this.#forEachKey;
    for (let i = 0; i < this.info.maxEntries; i++) {
      this.arena.view.setUint32(key, i, true);
      n++;
      if (cb(key, this.valueAddr(i, this.percpu ? cpu : 0)) !== 0) break;
    }
    return n;
  }

  sysLookup(key: Uint8Array, flags: number): Uint8Array {
    const index = u32At(this.checkSize(key, 4, 'key'), 0);
    if ((flags & BPF_F_LOCK) !== 0 && this.layout.spinLockOff < 0) fail('EINVAL', 'lock-without-spin-lock', 'BPF_F_LOCK on a value without bpf_spin_lock');
    if (index >= this.info.maxEntries) fail('ENOENT', 'array-index-out-of-range', `index ${index} is not below max_entries`);
    if (!this.percpu) return loadMapValue(this.layout, this.bytes, this.valueAddr(index, 0));
    // bpf_percpu_array_copy: every possible CPU's value, each padded to 8 bytes.
    const out = new Uint8Array(this.elemSize * this.possibleCpus);
    for (let c = 0; c < this.possibleCpus; c++) {
      copyBytes(out, c * this.elemSize, this.bytes, this.valueAddr(index, c), this.elemSize);
      out.set(loadMapValue(this.layout, out, c * this.elemSize), c * this.elemSize);
    }
    return out;
  }

  sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): void {
    const index = u32At(this.checkSize(key, 4, 'key'), 0);
    check(this.checkUpdate(index, flags), 'array-update', `update of index ${index} refused`);
    const lock = (flags & BPF_F_LOCK) !== 0;
    if (!this.percpu) {
      storeMapValue(this.layout, this.bytes, this.valueAddr(index, 0), this.checkSize(value, this.info.valueSize, 'value'), 0, lock);
      return;
    }
    this.checkSize(value, this.elemSize * this.possibleCpus, 'value');
    for (let c = 0; c < this.possibleCpus; c++) {
      // copy_map_value_long: the padding up to 8 bytes comes along.
      const dst = this.valueAddr(index, c);
      copyBytes(this.bytes, dst, value, c * this.elemSize, this.elemSize);
      storeMapValue(this.layout, this.bytes, dst, value, c * this.elemSize, false);
    }
  }

  sysDelete(key: Uint8Array): void {
    this.checkSize(key, 4, 'key');
    fail('EINVAL', 'array-delete', 'array elements cannot be deleted');
  }

  sysGetNextKey(key: Uint8Array | undefined): Uint8Array {
    return arrayGetNextKey(key, this.info.maxEntries);
  }

  directValueAddr(off: number): number {
    if (this.percpu || this.info.maxEntries !== 1) fail('ENOTSUPP', 'direct-value-needs-one-entry', 'direct value access needs a one-entry array');
    if (off < 0 || off >= this.info.valueSize) fail('EINVAL', 'direct-value-offset', `offset ${off} is outside the value`);
    return this.values + off;
  }
}

/**
 * `array_map_get_next_key`: index order; a missing or out-of-range key
 * restarts at 0, the last index gives ENOENT.
 *
 * @example
 * arrayGetNextKey(undefined, 4); // [0, 0, 0, 0]
 */
export function arrayGetNextKey(key: Uint8Array | undefined, maxEntries: number): Uint8Array {
  const index = key === undefined ? 0xffffffff : u32At(key, 0);
  if (index >= maxEntries) return u32Bytes(0);
  if (index === maxEntries - 1) fail('ENOENT', 'array-last-key', 'no key after the last index');
  const out = new Uint8Array(4);
  putU32(out, 0, index + 1);
  return out;
}
