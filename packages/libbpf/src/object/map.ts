import { BpfError } from '@bpfkit/kernel-api';
import type { MapSpec } from '@bpfkit/elf';
import { BpfMapType } from '@bpfkit/uapi';
import {
  bpfMapDeleteElem, bpfMapFreeze, bpfMapGetNextKey, bpfMapLookupAndDeleteElem, bpfMapLookupElem, bpfMapUpdateElem,
} from '../commands/map.js';
import { bpfMapGetInfoByFd, type MapInfo } from '../commands/info.js';
import type { LibbpfHost } from '../host.js';
import { mapTypeStr } from './names.js';
import { attachStructOps, type StructOpsLink } from './struct-ops.js';

const PERCPU_TYPES = new Set<number>([
  BpfMapType.BPF_MAP_TYPE_PERCPU_HASH, BpfMapType.BPF_MAP_TYPE_PERCPU_ARRAY, BpfMapType.BPF_MAP_TYPE_LRU_PERCPU_HASH,
  BpfMapType.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE,
]);

/** True for the map types whose syscall values hold one slot per possible CPU. @example isPercpuMapType(BpfMapType.BPF_MAP_TYPE_PERCPU_ARRAY); // true */
export function isPercpuMapType(type: number): boolean {
  return PERCPU_TYPES.has(type);
}

/** What the object needs to know to run a map handle's operations. */
export interface MapContext {
  readonly host: LibbpfHost;
  readonly possibleCpus: number;
}

/** How a map came to be: a `.maps` definition or a global data section. */
export type MapOrigin =
  | { readonly kind: 'user'; readonly spec: MapSpec }
  | { readonly kind: 'data'; readonly section: string; readonly sectionKind: 'data' | 'rodata' | 'bss' }
  | { readonly kind: 'kconfig' };

/**
 * One map of a {@link BpfObject}: its definition (settable before load as in libbpf)
 * and, after load, its fd and element operations. Keys and values are raw bytes; for
 * per-CPU maps a value is `possibleCpus × round_up(valueSize, 8)` bytes (libbpf's rule).
 *
 * @example
 * const counts = obj.map('counts');
 * counts.update(new Uint8Array(4), new Uint8Array(8));
 * for (const [k, v] of counts.entries()) console.log(k, v);
 */
export class BpfMap {
  /** libbpf's `bpf_map__name()`: the `.maps` variable, or the internal name (`xdp_filt.rodata`). */
  readonly name: string;
  /** The ELF section of an internal map (`.rodata`), else the map's name. */
  readonly realName: string;
  readonly internal: boolean;
  readonly origin: MapOrigin;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  mapFlags: number;
  mapExtra: number;
  numaNode: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  /** The contents an internal map is created with (globals write here before load). */
  readonly initialValue: Uint8Array | undefined;
  /** libbpf `bpf_map__set_autocreate`: false skips creating it (programs that use it get poisoned loads). */
  autocreate = true;
  /** The fd after load, else -1. */
  fd = -1;
  /** True once BPF_MAP_FREEZE ran (`.rodata`, `.kconfig`, or `freeze()`). */
  frozen = false;
  readonly #ctx: MapContext;

  constructor(init: {
    name: string; realName: string; origin: MapOrigin; type: number; keySize: number; valueSize: number; maxEntries: number;
    mapFlags: number; mapExtra: number; numaNode: number; btfKeyTypeId: number; btfValueTypeId: number; initialValue?: Uint8Array;
  }, ctx: MapContext) {
    this.name = init.name;
    this.realName = init.realName;
    this.origin = init.origin;
    this.internal = init.origin.kind !== 'user';
    this.type = init.type;
    this.keySize = init.keySize;
    this.valueSize = init.valueSize;
    this.maxEntries = init.maxEntries;
    this.mapFlags = init.mapFlags;
    this.mapExtra = init.mapExtra;
    this.numaNode = init.numaNode;
    this.btfKeyTypeId = init.btfKeyTypeId;
    this.btfValueTypeId = init.btfValueTypeId;
    this.initialValue = init.initialValue;
    this.#ctx = ctx;
  }

  /** `libbpf_bpf_map_type_str()` of the type. */
  get typeName(): string {
    return mapTypeStr(this.type);
  }

  /** Bytes a syscall value of this map takes (per-CPU maps: every possible CPU). */
  get syscallValueSize(): number {
    return isPercpuMapType(this.type) ? this.#ctx.possibleCpus * Math.ceil(this.valueSize / 8) * 8 : this.valueSize;
  }

  #fd(): number {
    if (this.fd < 0) throw new BpfError('EINVAL', 'libbpf:map-not-created', `map '${this.name}': not created (load the object first)`);
    return this.fd;
  }

  #checkKey(key: Uint8Array | null): void {
    if (key !== null && key.length !== this.keySize) {
      throw new BpfError('EINVAL', 'libbpf:bad-key-size', `map '${this.name}': key is ${String(key.length)} bytes, expected ${String(this.keySize)}`);
    }
  }

  /** BPF_MAP_LOOKUP_ELEM. @example map.lookup(new Uint8Array(4)); */
  lookup(key: Uint8Array, flags = 0): Uint8Array {
    this.#checkKey(key);
    return bpfMapLookupElem(this.#ctx.host, this.#fd(), key, this.syscallValueSize, flags);
  }

  /** BPF_MAP_UPDATE_ELEM. @example map.update(key, value, BPF_NOEXIST); */
  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.#checkKey(key);
    if (value.length !== this.syscallValueSize) {
      throw new BpfError('EINVAL', 'libbpf:bad-value-size', `map '${this.name}': value is ${String(value.length)} bytes, expected ${String(this.syscallValueSize)}`);
    }
    bpfMapUpdateElem(this.#ctx.host, this.#fd(), key, value, flags);
  }

  /** BPF_MAP_DELETE_ELEM. @example map.delete(key); */
  delete(key: Uint8Array, flags = 0): void {
    this.#checkKey(key);
    bpfMapDeleteElem(this.#ctx.host, this.#fd(), key, flags);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM (queues and stacks: an empty key). @example queue.lookupAndDelete(new Uint8Array(0)); */
  lookupAndDelete(key: Uint8Array, flags = 0): Uint8Array {
    if (key.length !== 0) this.#checkKey(key);
    return bpfMapLookupAndDeleteElem(this.#ctx.host, this.#fd(), key, this.syscallValueSize, flags);
  }

  /** BPF_MAP_GET_NEXT_KEY; null at the end. @example map.nextKey(null); // first key */
  nextKey(key: Uint8Array | null): Uint8Array | null {
    this.#checkKey(key);
    return bpfMapGetNextKey(this.#ctx.host, this.#fd(), key, this.keySize);
  }

  /** Every key, in the kernel's iteration order. @example [...map.keys()].length; */
  *keys(): Generator<Uint8Array> {
    for (let k = this.nextKey(null); k !== null; k = this.nextKey(k)) yield k;
  }

  /** Every `[key, value]`; keys that vanish between the two calls are skipped. @example for (const [k, v] of map.entries()) {} */
  *entries(): Generator<[Uint8Array, Uint8Array]> {
    for (const k of this.keys()) {
      let v: Uint8Array;
      try {
        v = this.lookup(k);
      } catch (e) {
        if (e instanceof BpfError && e.code === 'ENOENT') continue;
        throw e;
      }
      yield [k, v];
    }
  }

  /** BPF_OBJ_GET_INFO_BY_FD on the map (its id, for map-in-map values). @example map.info().id */
  info(): MapInfo {
    return bpfMapGetInfoByFd(this.#ctx.host, this.#fd());
  }

  /** libbpf `bpf_map__attach_struct_ops`: registers a loaded struct_ops map (a BPF link for `.struct_ops.link`). @example const link = obj.map('ops').attachStructOps(); link.detach(); */
  attachStructOps(): StructOpsLink {
    return attachStructOps(this.#ctx.host, this);
  }

  /** BPF_MAP_FREEZE. @example map.freeze(); */
  freeze(): void {
    bpfMapFreeze(this.#ctx.host, this.#fd());
    this.frozen = true;
  }
}
