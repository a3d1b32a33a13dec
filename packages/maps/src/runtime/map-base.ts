import { BpfError, type BpfMap, type MapInfo, type MapRuntimeSpec, type MapSyscallContext, type VmArena } from '@bpfkit/kernel-api';
import type { ErrnoName } from '@bpfkit/uapi';
import type { MapEnv } from '../deps.js';
import { NEG_EINVAL, NEG_EOPNOTSUPP } from './errno.js';
import { valueLayout, type ValueLayout } from './value-layout.js';

/**
 * Bytes of the map's own header in the arena: its {@link BpfMap.address} points there. It holds
 * the `struct bpf_map` members programs may read through a map pointer (Linux 6.18 x86-64
 * offsets: `map_type`, `key_size`, `value_size`, `max_entries`, `map_extra`, `map_flags`).
 */
const MAP_HEADER_BYTES = 96;
const HDR_MAP_TYPE = 64, HDR_KEY_SIZE = 68, HDR_VALUE_SIZE = 72, HDR_MAX_ENTRIES = 76, HDR_MAP_EXTRA = 80, HDR_MAP_FLAGS = 88;

/**
 * Throws the error a map operation gives: `maps:<rule>`.
 *
 * @example
 * fail('ENOENT', 'hash-no-key', 'no element with this key');
 */
export function fail(code: ErrnoName, rule: string, message: string): never {
  throw new BpfError(code, `maps:${rule}`, message);
}

/**
 * Throws unless `r` (a program-half result) is 0, turning the negative errno into a `BpfError`.
 *
 * @example
 * check(map.updateElem(k, v, BPF_ANY, 0), 'hash-update', 'update refused'); // -E2BIG becomes BpfError('E2BIG')
 */
export function check(r: number, rule: string, message: string): void {
  if (r === 0) return;
  const code = ERRNO_BY_NUMBER.get(-r) ?? 'EINVAL';
  fail(code, rule, message);
}

const ERRNO_BY_NUMBER = new Map<number, ErrnoName>([
  [1, 'EPERM'], [2, 'ENOENT'], [7, 'E2BIG'], [12, 'ENOMEM'], [14, 'EFAULT'], [16, 'EBUSY'], [17, 'EEXIST'], [19, 'ENODEV'],
  [22, 'EINVAL'], [28, 'ENOSPC'], [95, 'EOPNOTSUPP'], [524, 'ENOTSUPP'],
]);

/**
 * What every live map shares: its header in the arena (whose address programs
 * hold), the value layout, the allocations it frees on release, and the
 * kernel's answer for operations a type does not have.
 *
 * @example
 * class QueueMap extends MapBase { sysLookup() { … } lookupElem() { … } }
 */
export abstract class MapBase implements BpfMap {
  readonly info: MapInfo;
  readonly address: number;
  protected readonly env: MapEnv;
  protected readonly arena: VmArena;
  protected readonly layout: ValueLayout;
  protected readonly possibleCpus: number;
  #allocations: number[] = [];
  #released = false;

  constructor(env: MapEnv, spec: MapRuntimeSpec) {
    this.env = env;
    this.info = spec.info;
    this.arena = env.arena;
    this.possibleCpus = env.possibleCpus;
    this.layout = valueLayout(spec.info.valueSize, spec.valueFields, env.timers);
    this.address = this.alloc(MAP_HEADER_BYTES);
    const v = this.arena.view;
    v.setUint32(this.address + HDR_MAP_TYPE, spec.info.mapType, true);
    v.setUint32(this.address + HDR_KEY_SIZE, spec.info.keySize, true);
    v.setUint32(this.address + HDR_VALUE_SIZE, spec.info.valueSize, true);
    v.setUint32(this.address + HDR_MAX_ENTRIES, spec.info.maxEntries, true);
    v.setBigUint64(this.address + HDR_MAP_EXTRA, BigInt.asUintN(64, spec.mapExtra), true);
    v.setUint32(this.address + HDR_MAP_FLAGS, spec.info.mapFlags, true);
  }

  /** Allocates zeroed arena bytes that {@link release} frees; on ENOMEM (while the map is made) frees what the map already holds. */
  protected alloc(size: number, align = 8): number {
    try {
      const addr = this.arena.alloc(size, align);
      this.#allocations.push(addr);
      return addr;
    } catch (e) {
      this.release();
      throw e;
    }
  }

  /** Allocates more arena bytes for a live map; -1 when the arena is full (the map stays as it was). */
  protected allocMore(size: number, align = 8): number {
    try {
      const addr = this.arena.alloc(size, align);
      this.#allocations.push(addr);
      return addr;
    } catch {
      return -1;
    }
  }

  /** Frees one allocation made by {@link alloc} before the map goes away. */
  protected freeAlloc(addr: number): void {
    const i = this.#allocations.lastIndexOf(addr);
    if (i < 0) return;
    this.#allocations.splice(i, 1);
    this.arena.free(addr);
  }

  /** The arena's bytes now (replaced when the arena grows). */
  protected get bytes(): Uint8Array {
    return this.arena.bytes;
  }

  /** A syscall key or value must be exactly the map's size (the kernel copies that many bytes). */
  protected checkSize(buf: Uint8Array | undefined, size: number, what: string): Uint8Array {
    if (buf === undefined || buf.length < size) fail('EFAULT', `${what}-short`, `the ${what} must be ${size} bytes`);
    return buf;
  }

  abstract sysLookup(key: Uint8Array, flags: number): Uint8Array;
  abstract sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, ctx: MapSyscallContext): void;
  abstract sysDelete(key: Uint8Array): void;
  abstract sysGetNextKey(key: Uint8Array | undefined): Uint8Array;

  /* eslint-disable @typescript-eslint/no-unused-vars -- the kernel's answers for operations a type lacks ignore their arguments */
  sysLookupAndDelete(_key: Uint8Array | undefined, _flags: number): Uint8Array {
    // map_lookup_and_delete_elem: only queue, stack and the hash family have it.
    return fail('ENOTSUPP', 'lookup-and-delete-unsupported', `${this.typeName} maps have no lookup-and-delete`);
  }

  // Types whose programs cannot reach the element helpers (the verifier refuses them;
  // only an unverified program gets here) find nothing and refuse changes.
  lookupElem(_keyAddr: number, _cpu: number): number {
    return 0;
  }
  updateElem(_keyAddr: number, _valueAddr: number, _flags: number, _cpu: number): number {
    return NEG_EINVAL;
  }
  deleteElem(_keyAddr: number, _cpu: number): number {
    return NEG_EINVAL;
  }

  pushElem(_valueAddr: number, _flags: number): number {
    return NEG_EOPNOTSUPP;
  }
  popElem(_valueAddr: number): number {
    return NEG_EOPNOTSUPP;
  }
  peekElem(_valueAddr: number): number {
    return NEG_EOPNOTSUPP;
  }
  forEachElem(_cpu: number, _cb: (keyAddr: number, valueAddr: number) => number): number {
    return NEG_EINVAL;
  }
  /* eslint-enable @typescript-eslint/no-unused-vars */

  /** Name used in messages. */
  protected get typeName(): string {
    return `type ${this.info.mapType}`;
  }

  /** Drops slot references and similar; called once by {@link release} before the memory goes. */
  protected releaseObjects(): void {
    // nothing by default
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.releaseObjects();
    // The map's free (bpf_map_free_deferred) frees what timers are left, as map_release_uref did.
    if (this.layout.timerOff >= 0) this.layout.timers?.freeMap(this);
    for (const addr of this.#allocations) this.arena.free(addr);
    this.#allocations = [];
  }
}

/**
 * Reads a little-endian u32 from user bytes or the arena (keys of array-like
 * maps, fds in values). Bytes past the end read as zero, so a bad address
 * from an unchecked program never throws.
 *
 * @example
 * u32At(key, 0); // the index of an array key
 */
export function u32At(buf: Uint8Array, off: number): number {
  return ((buf[off] ?? 0) | ((buf[off + 1] ?? 0) << 8) | ((buf[off + 2] ?? 0) << 16) | ((buf[off + 3] ?? 0) << 24)) >>> 0;
}

/**
 * Writes a u32 into bytes, little-endian.
 *
 * @example
 * putU32(out, 4, progId);
 */
export function putU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v & 0xff;
  buf[off + 1] = (v >>> 8) & 0xff;
  buf[off + 2] = (v >>> 16) & 0xff;
  buf[off + 3] = (v >>> 24) & 0xff;
}

/**
 * A little-endian u32 as 4 fresh bytes.
 *
 * @example
 * u32Bytes(7); // [7, 0, 0, 0]
 */
export function u32Bytes(v: number): Uint8Array {
  const out = new Uint8Array(4);
  putU32(out, 0, v);
  return out;
}

/**
 * `round_up(n, 8)`.
 *
 * @example
 * round8(12); // 16
 */
export function round8(n: number): number {
  return (n + 7) & ~7;
}
