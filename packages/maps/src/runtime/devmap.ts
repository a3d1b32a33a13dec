import type { MapRuntimeSpec, MapSlotObject, MapSyscallContext } from '@bpfkit/kernel-api';
import { BPF_EXIST, BPF_NOEXIST } from '@bpfkit/uapi';
import type { MapEnv } from '../deps.js';
import { fail, putU32, u32At } from './map-base.js';
import { SlotArrayMap } from './slot-array.js';
import { NEG_EINVAL } from './errno.js';

/** The network devices of the simulated machine: only the loopback device, ifindex 1. */
const LOOPBACK_IFINDEX = 1;

/**
 * `__dev_map_alloc_node`: the device must exist (EINVAL otherwise) and a
 * program fd, when the value has one (> 0), must be an XDP program for devmaps.
 * Returns the value as stored: `{ifindex, prog id}`.
 */
function devmapValue(value: Uint8Array, valueSize: number, ctx: MapSyscallContext): { stored: Uint8Array; prog: MapSlotObject | undefined } {
  const ifindex = u32At(value, 0);
  const progFd = valueSize >= 8 ? u32At(value, 4) | 0 : 0;
  if (ifindex !== LOOPBACK_IFINDEX) fail('EINVAL', 'devmap-no-such-device', `no network device with ifindex ${ifindex}`);
  let prog: MapSlotObject | undefined;
  if (progFd > 0) {
    if (ctx.fds === undefined) fail('EINVAL', 'devmap-prog-fd', `fd ${progFd} is not an XDP program`);
    try {
      prog = ctx.fds.resolve(progFd);
    } catch {
      fail('EINVAL', 'devmap-prog-fd', `fd ${progFd} is not a devmap XDP program`);
    }
  }
  const stored = new Uint8Array(8);
  putU32(stored, 0, ifindex);
  putU32(stored, 4, prog?.id ?? 0);
  return { stored, prog };
}

/**
 * `BPF_MAP_TYPE_DEVMAP` (devmap.c): `struct bpf_devmap_val` per index. An
 * ifindex of 0 empties the slot (a program fd with it is EINVAL); delete of an
 * empty slot succeeds; lookups give `{ifindex, prog id}`.
 *
 * @example
 * const devmap = maps.get(BpfMapType.BPF_MAP_TYPE_DEVMAP)!.create(spec);
 * devmap.sysUpdate(key, ifindexAndProgFd, BPF_ANY, { fds }); // EINVAL for an unknown ifindex
 */
export class DevMap extends SlotArrayMap {
  protected override get typeName(): string {
    return 'devmap';
  }

  sysLookup(key: Uint8Array): Uint8Array {
    return this.presentValue(this.index(key));
  }

  sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, ctx: MapSyscallContext): void {
    const i = this.index(key);
    this.checkSize(value, this.info.valueSize, 'value');
    if (flags > BPF_EXIST) fail('EINVAL', 'devmap-update-flags', 'unknown update flags');
    if (i >= this.info.maxEntries) fail('E2BIG', 'devmap-index', `index ${i} is not below max_entries`);
    if (flags === BPF_NOEXIST) fail('EEXIST', 'devmap-noexist', 'devmap slots always exist');
    if (u32At(value, 0) === 0) {
      if (this.info.valueSize >= 8 && (u32At(value, 4) | 0) > 0) fail('EINVAL', 'devmap-prog-without-device', 'a program needs a device');
      this.fill(i, undefined, undefined);
      return;
    }
    const { stored, prog } = devmapValue(value, this.info.valueSize, ctx);
    this.fill(i, stored, prog);
  }

  sysDelete(key: Uint8Array): void {
    const i = this.index(key);
    if (i >= this.info.maxEntries) fail('EINVAL', 'devmap-index', `index ${i} is not below max_entries`);
    this.fill(i, undefined, undefined);
  }

  override deleteElem(keyAddr: number): number {
    const i = u32At(this.bytes, keyAddr);
    if (i >= this.info.maxEntries) return NEG_EINVAL;
    this.fill(i, undefined, undefined);
    return 0;
  }
}

/**
 * `BPF_MAP_TYPE_DEVMAP_HASH`: devices by any u32 key, in
 * `roundup_pow_of_two(max_entries)` buckets indexed by the key itself, new
 * entries at the head. BPF_EXIST of a missing key adds it; the device is
 * checked before the E2BIG of a full map.
 *
 * @example
 * const devs = maps.get(BpfMapType.BPF_MAP_TYPE_DEVMAP_HASH)!.create(spec);
 * devs.sysUpdate(u32(7), ifindexOne, BPF_EXIST, {}); // adds key 7 even though it was missing
 */
export class DevMapHash extends SlotArrayMap {
  readonly #keys: Int32Array;
  readonly #buckets: (number[] | undefined)[];
  readonly #mask: number;
  #items = 0;

  constructor(env: MapEnv, spec: MapRuntimeSpec) {
    super(env, spec);
    let n = 1;
    while (n < spec.info.maxEntries) n *= 2;
    this.#mask = n - 1;
    this.#buckets = new Array<number[] | undefined>(n).fill(undefined);
    this.#keys = new Int32Array(spec.info.maxEntries);
  }

  protected override get typeName(): string {
    return 'devmap_hash';
  }

  /** The slot holding `key`, or -1 (no allocation: a program's lookup goes through here). */
  #find(key: number): number {
    const chain = this.#buckets[key & this.#mask];
    if (chain === undefined) return -1;
    for (let i = 0; i < chain.length; i++) {
      const slot = chain[i] ?? -1;
      if ((this.#keys[slot] ?? 0) >>> 0 === key) return slot;
    }
    return -1;
  }

  override lookupElem(keyAddr: number): number {
    const slot = this.#find(u32At(this.bytes, keyAddr));
    return slot < 0 ? 0 : this.values + slot * 8;
  }

  sysLookup(key: Uint8Array): Uint8Array {
    const slot = this.#find(this.index(key));
    if (slot < 0) fail('ENOENT', 'devmap-hash-no-key', 'no device with this key');
    return this.presentValue(slot);
  }

  sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, ctx: MapSyscallContext): void {
    const k = this.index(key);
    this.checkSize(value, this.info.valueSize, 'value');
    if (flags > BPF_EXIST) fail('EINVAL', 'devmap-update-flags', 'unknown update flags');
    const old = this.#find(k);
    if (old >= 0 && flags === BPF_NOEXIST) fail('EEXIST', 'devmap-hash-exists', 'the key exists');
    const { stored, prog } = devmapValue(value, this.info.valueSize, ctx);
    if (old >= 0) {
      this.fill(old, stored, prog);
      return;
    }
    if (this.#items >= this.info.maxEntries) {
      prog?.put();
      fail('E2BIG', 'devmap-hash-full', 'the map is full');
    }
    const slot = this.present.indexOf(0);
    this.#keys[slot] = k | 0;
    this.fill(slot, stored, prog);
    const b = k & this.#mask;
    this.#buckets[b] = [slot, ...(this.#buckets[b] ?? [])];
    this.#items++;
  }

  sysDelete(key: Uint8Array): void {
    const k = this.index(key);
    const slot = this.#find(k);
    if (slot < 0) fail('ENOENT', 'devmap-hash-no-key', 'no device with this key');
    const b = k & this.#mask;
    this.#buckets[b] = (this.#buckets[b] ?? []).filter((s) => s !== slot);
    this.fill(slot, undefined, undefined);
    this.#items--;
  }

  override sysGetNextKey(key: Uint8Array | undefined): Uint8Array {
    let b = 0;
    if (key !== undefined) {
      const k = this.index(key);
      const slot = this.#find(k);
      if (slot >= 0) {
        const chain = this.#buckets[k & this.#mask] ?? [];
        const nx = chain[chain.indexOf(slot) + 1];
        if (nx !== undefined) return this.#keyBytes(nx);
        b = (k & this.#mask) + 1;
      }
    }
    for (; b <= this.#mask; b++) {
      const first = this.#buckets[b]?.[0];
      if (first !== undefined) return this.#keyBytes(first);
    }
    return fail('ENOENT', 'devmap-hash-last-key', 'no key after this one');
  }

  #keyBytes(slot: number): Uint8Array {
    const out = new Uint8Array(4);
    putU32(out, 0, (this.#keys[slot] ?? 0) >>> 0);
    return out;
  }
}
