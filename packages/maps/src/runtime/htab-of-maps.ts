import type { MapRuntimeSpec, MapSlotObject, MapSyscallContext } from '@bpfkit/kernel-api';
import type { MapEnv } from '../deps.js';
import { innerMapAddress, resolveFd } from './fd-array.js';
import { HashTable } from './htab.js';
import { fail, u32Bytes } from './map-base.js';

/**
 * `BPF_MAP_TYPE_HASH_OF_MAPS`: the hash table with an inner map in each
 * element. The element's value holds the inner map's address, which a
 * program's lookup returns; the syscall lookup gives the inner map's id.
 *
 * @example
 * const outer = maps.get(BpfMapType.BPF_MAP_TYPE_HASH_OF_MAPS)!.create(spec);
 * outer.sysUpdate(key, innerFdBytes, BPF_ANY, { fds });
 * outer.lookupElem(keyAddr, 0); // the inner map's address
 */
export class HashOfMaps extends HashTable {
  readonly #objects = new Map<number, MapSlotObject>();

  constructor(env: MapEnv, spec: MapRuntimeSpec) {
    super(env, spec, 8);
  }

  protected override get typeName(): string {
    return 'hash_of_maps';
  }

  protected override elemRemoved(e: number): void {
    const obj = this.#objects.get(e);
    this.#objects.delete(e);
    obj?.put();
  }

  override lookupElem(keyAddr: number, cpu: number): number {
    const v = super.lookupElem(keyAddr, cpu);
    return v === 0 ? 0 : this.arena.view.getUint32(v, true);
  }

  override updateElem(): number {
    return -22; // EINVAL: programs cannot store maps
  }

  override sysLookup(key: Uint8Array): Uint8Array {
    this.checkSize(key, this.keySize, 'key');
    const e = this.findElem(key, 0, this.hashOf(key, 0));
    const obj = e < 0 ? undefined : this.#objects.get(e);
    if (obj === undefined) fail('ENOENT', 'hash-no-key', 'no element with this key');
    return u32Bytes(obj.id);
  }

  override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, ctx: MapSyscallContext): void {
    this.checkSize(key, this.keySize, 'key');
    const obj = resolveFd(ctx, value);
    const r = this.update(key, 0, u32Bytes(innerMapAddress(obj)), 0, flags, 0, true);
    if (r !== 0) {
      obj.put();
      const code = r === -17 ? 'EEXIST' : r === -2 ? 'ENOENT' : r === -7 ? 'E2BIG' : r === -12 ? 'ENOMEM' : 'EINVAL';
      fail(code, 'hash-update', 'update refused');
    }
    this.#objects.set(this.lastElem, obj);
  }

  override sysLookupAndDelete(): Uint8Array {
    return fail('ENOTSUPP', 'lookup-and-delete-unsupported', 'hash of maps has no lookup-and-delete');
  }

  protected override releaseObjects(): void {
    for (const obj of this.#objects.values()) obj.put();
    this.#objects.clear();
  }
}
