import type { MapRuntimeSpec } from '@bpfkit/kernel-api';
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK } from '@bpfkit/uapi';
import type { MapEnv } from '../deps.js';
import { fail, MapBase, round8 } from './map-base.js';
import { copyBytes, loadMapValue, storeMapValue } from './value-layout.js';

/**
 * `BPF_MAP_TYPE_CGROUP_STORAGE` and `BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE`
 * (local_storage.c): one value per (cgroup, attach type) — or per cgroup with
 * 8-byte keys — created when a program is attached ({@link attach}), never by
 * an update. User space reads and rewrites existing storage; delete is
 * EINVAL; `get_next_key` walks in creation order and a missing key is ENOENT.
 *
 * @example
 * const storage = maps.get(BpfMapType.BPF_MAP_TYPE_CGROUP_STORAGE)!.create(spec) as CgroupStorageMap;
 * const value = storage.attach(cgroupKey); // at BPF_PROG_ATTACH
 * storage.sysLookup(cgroupKey, 0);
 */
export class CgroupStorageMap extends MapBase {
  readonly #percpu: boolean;
  readonly #elemSize: number;
  /** Storage by key (hex of the key bytes), in creation order. */
  readonly #storages = new Map<string, { readonly key: Uint8Array; readonly addr: number }>();

  constructor(env: MapEnv, spec: MapRuntimeSpec, percpu: boolean) {
    super(env, spec);
    this.#percpu = percpu;
    this.#elemSize = round8(spec.info.valueSize);
  }

  protected override get typeName(): string {
    return this.#percpu ? 'percpu_cgroup_storage' : 'cgroup_storage';
  }

  #id(key: Uint8Array): string {
    return Array.from(this.checkSize(key, this.info.keySize, 'key').subarray(0, this.info.keySize), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /**
   * `bpf_cgroup_storage_alloc` + link at attach time: the storage for `key`
   * (created zeroed when missing). Returns the address of CPU 0's value; the
   * per-CPU flavour keeps CPU `c`'s value `round_up(value_size, 8) * c` after it.
   */
  attach(key: Uint8Array): number {
    const id = this.#id(key);
    const found = this.#storages.get(id);
    if (found !== undefined) return found.addr;
    const addr = this.allocMore(this.#elemSize * (this.#percpu ? this.possibleCpus : 1));
    if (addr < 0) fail('ENOMEM', 'cgroup-storage-alloc', 'no memory for the storage');
    this.#storages.set(id, { key: key.slice(0, this.info.keySize), addr });
    return addr;
  }


  #find(key: Uint8Array): number {
    const s = this.#storages.get(this.#id(key));
    if (s === undefined) fail('ENOENT', 'cgroup-storage-no-key', 'no storage for this cgroup');
    return s.addr;
  }

  sysLookup(key: Uint8Array): Uint8Array {
    const addr = this.#find(key);
    if (!this.#percpu) return loadMapValue(this.layout, this.bytes, addr);
    const out = new Uint8Array(this.#elemSize * this.possibleCpus);
    copyBytes(out, 0, this.bytes, addr, out.length);
    return out;
  }

  sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): void {
    if (this.#percpu ? flags !== BPF_ANY && flags !== BPF_EXIST : (flags & ~(BPF_F_LOCK | BPF_EXIST)) !== 0) {
      fail('EINVAL', 'cgroup-storage-update-flags', 'cgroup storage takes BPF_ANY, BPF_EXIST (and BPF_F_LOCK)');
    }
    if ((flags & BPF_F_LOCK) !== 0 && this.layout.spinLockOff < 0) fail('EINVAL', 'lock-without-spin-lock', 'BPF_F_LOCK on a value without bpf_spin_lock');
    const addr = this.#find(key);
    if (this.#percpu) {
      copyBytes(this.bytes, addr, this.checkSize(value, this.#elemSize * this.possibleCpus, 'value'), 0, this.#elemSize * this.possibleCpus);
      return;
    }
    storeMapValue(this.layout, this.bytes, addr, this.checkSize(value, this.info.valueSize, 'value'), 0, (flags & BPF_F_LOCK) !== 0);
  }

  sysDelete(): void {
    fail('EINVAL', 'cgroup-storage-delete', 'cgroup storage goes away with the attachment, not by delete');
  }

  sysGetNextKey(key: Uint8Array | undefined): Uint8Array {
    const all = [...this.#storages.values()];
    const i = key === undefined ? 0 : all.findIndex((s) => s.key.every((b, j) => b === key[j])) + 1;
    const next = key !== undefined && i === 0 ? undefined : all[i];
    if (next === undefined) fail('ENOENT', 'cgroup-storage-last-key', 'no storage after this one');
    return next.key.slice();
  }
}
