import type { BpfMap, FdSlotOps, MapRuntimeSpec, MapSlotObject, MapSyscallContext } from '@bpfkit/kernel-api';
import { BPF_ANY } from '@bpfkit/uapi';
import type { MapEnv } from '../deps.js';
import { NEG_EINVAL } from './errno.js';
import { arrayGetNextKey } from './array-map.js';
import { fail, MapBase, u32At, u32Bytes } from './map-base.js';

/** Which fd array: what its syscall lookup returns (`map_fd_sys_lookup_elem`) and what a program's lookup sees. */
export interface FdArrayKind {
  readonly name: string;
  /** The syscall lookup gives the object's id (prog arrays, array of maps); else ENOTSUPP. */
  readonly sysLookupGivesId: boolean;
  /** A program's lookup returns the inner map's address (array of maps); else it has none. */
  readonly mapInMap: boolean;
}

/**
 * Resolves the fd in an fd map's 4-byte value through the kernel (`map_fd_get_ptr`).
 *
 * @example
 * const prog = resolveFd(ctx, value); // the program behind the fd in the value
 */
export function resolveFd(ctx: MapSyscallContext, value: Uint8Array): MapSlotObject {
  if (value.length < 4) fail('EFAULT', 'value-short', 'the value must be a 4-byte fd');
  const fd = u32At(value, 0) | 0;
  if (ctx.fds === undefined) fail('EBADF', 'fd-unresolvable', `fd ${fd} cannot be resolved here`);
  return ctx.fds.resolve(fd);
}

/**
 * The address of the map an inner-map slot holds, or 0.
 *
 * @example
 * innerMapAddress(slot); // what a program's lookup of a map-in-map returns
 */
export function innerMapAddress(slot: MapSlotObject | undefined): number {
  const target = slot?.target as BpfMap | undefined;
  return typeof target?.address === 'number' ? target.address : 0;
}

/**
 * The fd arrays of arraymap.c — `prog_array`, `array_of_maps`,
 * `cgroup_array` and the slots of `perf_event_array`: each slot holds an
 * object the kernel resolved from the fd user space wrote, with a reference
 * that delete, overwrite and release drop.
 *
 * @example
 * const progs = maps.get(BpfMapType.BPF_MAP_TYPE_PROG_ARRAY)!.create(spec);
 * progs.sysUpdate(key, progFdBytes, BPF_ANY, { fds });
 * progs.slots?.at(0); // what bpf_tail_call jumps to
 */
export class FdArrayMap extends MapBase implements FdSlotOps {
  readonly slots: FdSlotOps = this;
  protected readonly objects: (MapSlotObject | undefined)[];
  readonly #kind: FdArrayKind;
  /** For array of maps: the inner map addresses, so a program's lookup allocates nothing. */
  readonly #addrs: Uint32Array;

  constructor(env: MapEnv, spec: MapRuntimeSpec, kind: FdArrayKind) {
    super(env, spec);
    this.#kind = kind;
    this.objects = new Array<MapSlotObject | undefined>(spec.info.maxEntries).fill(undefined);
    this.#addrs = new Uint32Array(kind.mapInMap ? spec.info.maxEntries : 0);
  }

  protected override get typeName(): string {
    return this.#kind.name;
  }

  at(index: number): MapSlotObject | undefined {
    return index >= 0 && index < this.objects.length ? this.objects[index] : undefined;
  }

  /** Replaces slot `index`, dropping the old reference (`map_fd_put_ptr`). */
  protected setSlot(index: number, obj: MapSlotObject | undefined): MapSlotObject | undefined {
    const old = this.objects[index];
    this.objects[index] = obj;
    if (this.#kind.mapInMap) this.#addrs[index] = innerMapAddress(obj);
    old?.put();
    return old;
  }

  override lookupElem(keyAddr: number): number {
    if (!this.#kind.mapInMap) return 0;
    const index = u32At(this.bytes, keyAddr);
    return index < this.info.maxEntries ? this.#addrs[index] ?? 0 : 0;
  }
  override updateElem(): number {
    return NEG_EINVAL;
  }
  override deleteElem(keyAddr: number): number {
    const index = u32At(this.bytes, keyAddr);
    return this.#delete(index);
  }

  /** `fd_array_map_delete_elem`. */
  #delete(index: number): number {
    if (index >= this.info.maxEntries) return -7; // E2BIG
    if (this.objects[index] === undefined) return -2; // ENOENT
    this.setSlot(index, undefined);
    return 0;
  }

  sysLookup(key: Uint8Array): Uint8Array {
    const index = u32At(this.checkSize(key, 4, 'key'), 0);
    if (!this.#kind.sysLookupGivesId) fail('ENOTSUPP', 'fd-array-lookup', `${this.#kind.name} slots cannot be read from user space`);
    const obj = index < this.info.maxEntries ? this.objects[index] : undefined;
    if (obj === undefined) fail('ENOENT', 'fd-array-empty-slot', `slot ${index} is empty`);
    return u32Bytes(obj.id);
  }

  /** `bpf_fd_array_map_update_elem`: BPF_ANY only, then the index, then the fd. */
  sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, ctx: MapSyscallContext): void {
    const index = u32At(this.checkSize(key, 4, 'key'), 0);
    if (flags !== BPF_ANY) fail('EINVAL', 'fd-array-update-flags', 'fd arrays take only BPF_ANY');
    if (index >= this.info.maxEntries) fail('E2BIG', 'fd-array-index', `index ${index} is not below max_entries`);
    this.setSlot(index, resolveFd(ctx, value));
  }

  sysDelete(key: Uint8Array): void {
    const index = u32At(this.checkSize(key, 4, 'key'), 0);
    const r = this.#delete(index);
    if (r === -7) fail('E2BIG', 'fd-array-index', `index ${index} is not below max_entries`);
    if (r === -2) fail('ENOENT', 'fd-array-empty-slot', `slot ${index} is empty`);
  }

  sysGetNextKey(key: Uint8Array | undefined): Uint8Array {
    return arrayGetNextKey(key, this.info.maxEntries);
  }

  protected override releaseObjects(): void {
    for (let i = 0; i < this.objects.length; i++) if (this.objects[i] !== undefined) this.setSlot(i, undefined);
  }
}
