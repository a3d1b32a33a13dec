import { BpfError, isBpfError, type BpfSyscall } from '@bpfkit/kernel-api';
import { BPF_F_TOKEN_FD, BpfCmd, encodeMapCreateAttr, encodeMapElemAttr } from '@bpfkit/uapi';
import { objName, withScratch } from './scratch.js';

/** Options of {@link bpfMapCreate}, as libbpf's `bpf_map_create()` takes them. */
export interface MapCreateOptions {
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly mapFlags?: number;
  /** At most 15 characters reach the kernel. */
  readonly mapName?: string;
  readonly btfFd?: number;
  readonly btfKeyTypeId?: number;
  readonly btfValueTypeId?: number;
  readonly btfVmlinuxValueTypeId?: number;
  readonly innerMapFd?: number;
  readonly mapExtra?: bigint | number;
  readonly numaNode?: number;
  readonly mapIfindex?: number;
  /** A BPF token fd: sets `map_token_fd` and `BPF_F_TOKEN_FD` in `map_flags`. */
  readonly tokenFd?: number;
}

const MAP_CREATE_KEYS = new Set([
  'mapType', 'keySize', 'valueSize', 'maxEntries', 'mapFlags', 'mapName', 'btfFd', 'btfKeyTypeId', 'btfValueTypeId',
  'btfVmlinuxValueTypeId', 'innerMapFd', 'mapExtra', 'numaNode', 'mapIfindex', 'tokenFd',
]);

/** Throws EINVAL for an options key the function does not know. */
export function checkKeys(what: string, opts: object, known: ReadonlySet<string>): void {
  for (const k of Object.keys(opts)) {
    if (!known.has(k)) throw new BpfError('EINVAL', 'libbpf:bad-option', `${what}: unknown option '${k}'`);
  }
}

/**
 * BPF_MAP_CREATE (libbpf `bpf_map_create`). Returns the new map's fd.
 *
 * @example
 * const fd = bpfMapCreate(sys, { mapType: BpfMapType.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 64, mapName: 'counts' });
 */
export function bpfMapCreate(sys: BpfSyscall, opts: MapCreateOptions): number {
  checkKeys('bpfMapCreate', opts, MAP_CREATE_KEYS);
  const attr = encodeMapCreateAttr({
    map_type: opts.mapType,
    key_size: opts.keySize,
    value_size: opts.valueSize,
    max_entries: opts.maxEntries,
    map_flags: ((opts.mapFlags ?? 0) | (opts.tokenFd === undefined ? 0 : BPF_F_TOKEN_FD)) >>> 0,
    inner_map_fd: opts.innerMapFd ?? 0,
    numa_node: opts.numaNode ?? 0,
    map_name: objName(opts.mapName),
    map_ifindex: opts.mapIfindex ?? 0,
    btf_fd: opts.btfFd ?? 0,
    btf_key_type_id: opts.btfKeyTypeId ?? 0,
    btf_value_type_id: opts.btfValueTypeId ?? 0,
    btf_vmlinux_value_type_id: opts.btfVmlinuxValueTypeId ?? 0,
    map_extra: BigInt(opts.mapExtra ?? 0),
    map_token_fd: opts.tokenFd ?? 0,
  });
  return sys.bpf(BpfCmd.BPF_MAP_CREATE, attr);
}

/**
 * BPF_MAP_UPDATE_ELEM (libbpf `bpf_map_update_elem`).
 *
 * @example
 * bpfMapUpdateElem(sys, fd, new Uint8Array([1, 0, 0, 0]), new Uint8Array(8), BPF_NOEXIST);
 */
export function bpfMapUpdateElem(sys: BpfSyscall, fd: number, key: Uint8Array, value: Uint8Array, flags = 0): void {
  withScratch(sys, (s) => {
    sys.bpf(BpfCmd.BPF_MAP_UPDATE_ELEM, encodeMapElemAttr({ map_fd: fd, key: s.alloc(key), value: s.alloc(value), flags: BigInt(flags) }));
  });
}

/**
 * BPF_MAP_LOOKUP_ELEM (libbpf `bpf_map_lookup_elem_flags`): the value, `valueSize` bytes
 * (for per-CPU maps: possible CPUs × round_up(value_size, 8)).
 *
 * @example
 * const v = bpfMapLookupElem(sys, fd, new Uint8Array(4), 8);
 */
export function bpfMapLookupElem(sys: BpfSyscall, fd: number, key: Uint8Array, valueSize: number, flags = 0): Uint8Array {
  return withScratch(sys, (s) => {
    const value = s.alloc(Math.max(valueSize, 1));
    sys.bpf(BpfCmd.BPF_MAP_LOOKUP_ELEM, encodeMapElemAttr({ map_fd: fd, key: s.alloc(key), value, flags: BigInt(flags) }));
    return s.read(value, valueSize);
  });
}

/**
 * BPF_MAP_LOOKUP_AND_DELETE_ELEM (libbpf `bpf_map_lookup_and_delete_elem_flags`); for queues and
 * stacks pass an empty key.
 *
 * @example
 * const head = bpfMapLookupAndDeleteElem(sys, queueFd, new Uint8Array(0), 4);
 */
export function bpfMapLookupAndDeleteElem(sys: BpfSyscall, fd: number, key: Uint8Array, valueSize: number, flags = 0): Uint8Array {
  return withScratch(sys, (s) => {
    const value = s.alloc(Math.max(valueSize, 1));
    sys.bpf(BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, encodeMapElemAttr({ map_fd: fd, key: s.alloc(key), value, flags: BigInt(flags) }));
    return s.read(value, valueSize);
  });
}

/**
 * BPF_MAP_DELETE_ELEM (libbpf `bpf_map_delete_elem_flags`).
 *
 * @example
 * bpfMapDeleteElem(sys, fd, new Uint8Array([1, 0, 0, 0]));
 */
export function bpfMapDeleteElem(sys: BpfSyscall, fd: number, key: Uint8Array, flags = 0): void {
  withScratch(sys, (s) => {
    sys.bpf(BpfCmd.BPF_MAP_DELETE_ELEM, encodeMapElemAttr({ map_fd: fd, key: s.alloc(key), flags: BigInt(flags) }));
  });
}

/**
 * BPF_MAP_GET_NEXT_KEY (libbpf `bpf_map_get_next_key`): the key after `key` (the first key for
 * `null`), or `null` at the end (ENOENT).
 *
 * @example
 * for (let k = bpfMapGetNextKey(sys, fd, null, 4); k !== null; k = bpfMapGetNextKey(sys, fd, k, 4)) console.log(k);
 */
export function bpfMapGetNextKey(sys: BpfSyscall, fd: number, key: Uint8Array | null, keySize: number): Uint8Array | null {
  return withScratch(sys, (s) => {
    const next = s.alloc(Math.max(keySize, 1));
    try {
      sys.bpf(BpfCmd.BPF_MAP_GET_NEXT_KEY, encodeMapElemAttr({ map_fd: fd, key: key === null ? 0n : s.alloc(key), next_key: next }));
    } catch (e) {
      if (isBpfError(e, 'ENOENT')) return null;
      throw e;
    }
    return s.read(next, keySize);
  });
}

/**
 * BPF_MAP_FREEZE (libbpf `bpf_map_freeze`): no more writes from user space.
 *
 * @example
 * bpfMapFreeze(sys, rodataFd);
 */
export function bpfMapFreeze(sys: BpfSyscall, fd: number): void {
  sys.bpf(BpfCmd.BPF_MAP_FREEZE, encodeMapElemAttr({ map_fd: fd }));
}
