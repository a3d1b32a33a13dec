import type { MapRuntimeSpec, MapSlotObject, MapSyscallContext } from '@bpfkit/kernel-api';
import type { MapEnv } from '../deps.js';
import { NEG_EINVAL } from './errno.js';
import { arrayGetNextKey } from './array-map.js';
import { fail, MapBase, u32At } from './map-base.js';

/**
 * The array-shaped maps of kernel objects that are not fd arrays — devmap,
 * cpumap, xskmap, sockmap, reuseport_sockarray: a present bit and an 8-byte
 * value per index in the arena (what a program's lookup points at), the
 * object a slot references, and array-order `get_next_key`. Subclasses give
 * the per-type update, lookup and delete rules.
 *
 * @example
 * class XskMap extends SlotArrayMap { sysLookup() { … } sysUpdate() { … } sysDelete() { … } }
 */
export abstract class SlotArrayMap extends MapBase {
  protected readonly present: Uint8Array;
  protected readonly objects: (MapSlotObject | undefined)[];
  protected readonly values: number;

  constructor(env: MapEnv, spec: MapRuntimeSpec) {
    super(env, spec);
    this.present = new Uint8Array(spec.info.maxEntries);
    this.objects = new Array<MapSlotObject | undefined>(spec.info.maxEntries).fill(undefined);
    this.values = this.alloc(spec.info.maxEntries * 8);
  }

  /** Fills slot `index` with the value bytes and the object (or empties it). */
  protected fill(index: number, value: Uint8Array | undefined, obj: MapSlotObject | undefined): void {
    const old = this.objects[index];
    this.objects[index] = obj;
    const at = this.values + index * 8;
    this.bytes.fill(0, at, at + 8);
    if (value !== undefined) this.bytes.set(value.subarray(0, 8), at);
    this.present[index] = value === undefined ? 0 : 1;
    old?.put();
  }

  protected index(key: Uint8Array): number {
    return u32At(this.checkSize(key, 4, 'key'), 0);
  }

  override lookupElem(keyAddr: number): number {
    const i = u32At(this.bytes, keyAddr);
    return i < this.info.maxEntries && this.present[i] === 1 ? this.values + i * 8 : 0;
  }
  override updateElem(): number {
    return NEG_EINVAL;
  }
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- sockets leave these maps through the syscall only
  override deleteElem(_keyAddr: number, _cpu: number): number {
    return NEG_EINVAL;
  }

  /** The stored value bytes of a present slot (`value_size` of them). */
  protected stored(index: number): Uint8Array | undefined {
    if (index >= this.info.maxEntries || this.present[index] !== 1) return undefined;
    const at = this.values + index * 8;
    return this.bytes.slice(at, at + this.info.valueSize);
  }

  abstract override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, ctx: MapSyscallContext): void;

  sysGetNextKey(key: Uint8Array | undefined): Uint8Array {
    return arrayGetNextKey(key, this.info.maxEntries);
  }

  protected override releaseObjects(): void {
    for (let i = 0; i < this.objects.length; i++) {
      this.objects[i]?.put();
      this.objects[i] = undefined;
    }
  }

  /** Fails unless a slot is present (for lookups). */
  protected presentValue(index: number): Uint8Array {
    const v = this.stored(index);
    if (v === undefined) fail('ENOENT', 'slot-empty', `slot ${index} is empty`);
    return v;
  }
}
