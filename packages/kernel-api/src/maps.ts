import type { BpfMap } from './bpf-map.js';
import type { BtfTypeView, BtfView } from './btf-view.js';

/**
 * Map-type descriptors: the per-type half of `BPF_MAP_CREATE` (`struct bpf_map_ops`'
 * `map_alloc_check` and `map_alloc` of kernel/bpf/*.c). The kernel runs the generic
 * checks, calls `allocCheck`, resolves the token and checks capabilities, then calls `alloc`.
 */

/** Extra capability a map type needs beyond the `unprivileged_bpf_disabled` check (token.md §3). */
export type MapCapability = 'none' | 'CAP_BPF' | 'CAP_NET_ADMIN';

/** What another map's create sees of an existing map (the inner map of `*_of_maps`). */
export interface MapInfo {
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly mapFlags: number;
  /** The map is itself a map-in-map (it has an `inner_map_meta`). */
  readonly isMapInMap: boolean;
}

/** The kernel's lookup of an fd attribute: the object, or the errno the lookup gives. */
export type FdLookup<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly errno: 'EBADF' | 'EINVAL' };

/** `attr->value_type_btf_obj_fd` resolved: a BTF object, module or vmlinux. */
export interface BtfObjectInfo {
  /** `btf_is_module()`. */
  readonly isModule: boolean;
}

/**
 * The decoded `BPF_MAP_CREATE` attributes a map type looks at. `mapFlags` has
 * `BPF_F_TOKEN_FD` already cleared, as the kernel does before any per-type check.
 */
export interface MapCreateRequest {
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly mapFlags: number;
  /** `attr->inner_map_fd`, resolved lazily: only `*_of_maps` look at it, in `alloc`. */
  readonly innerMap?: () => FdLookup<MapInfo>;
  /** `bpf_map_attr_numa_node()`: `numa_node` when `BPF_F_NUMA_NODE` is set, else -1 (NUMA_NO_NODE). */
  readonly numaNode: number;
  readonly mapName: string;
  readonly mapIfindex: number;
  readonly btfFd: number;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  readonly btfVmlinuxValueTypeId: number;
  /** `attr->map_extra` (u64). */
  readonly mapExtra: bigint;
  /** `attr->value_type_btf_obj_fd`, resolved lazily (struct_ops with `BPF_F_VTYPE_BTF_OBJ_FD`). */
  readonly valueTypeBtfObj?: () => FdLookup<BtfObjectInfo>;
  /**
   * For struct_ops: the size of the `bpf_struct_ops_<name>` value type that
   * `btf_vmlinux_value_type_id` names, or undefined when no registered struct_ops
   * has that value type (`bpf_struct_ops_find_value` fails: ENOTSUPP).
   */
  readonly structOpsValueSize?: () => number | undefined;
}

/** Environment questions a map type asks while it is created; answered lazily so traces stay in kernel order. */
export interface MapCreateContext {
  /** `capable(cap)` in the init user namespace (not the token's): `BPF_F_ZERO_SEED` asks for CAP_SYS_ADMIN. */
  capable(cap: number): boolean;
  /** `bpf_bypass_spec_v1(NULL)`: arrays skip rounding `max_entries` up to a power of two. */
  bypassSpecV1(): boolean;
}

/**
 * What `map_check_btf` (kernel/bpf/syscall.c) hands a map type's own BTF check
 * (`ops->map_check_btf`), once the key and value types matched `key_size` and
 * `value_size` and the value's special fields passed.
 */
export interface MapBtfCheck {
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly btf: BtfView;
  /** The key type after `btf_type_id_size`; the VOID type when `btf_key_type_id` is 0. */
  readonly keyType: BtfTypeView;
  /** The value type after `btf_type_id_size`. */
  readonly valueType: BtfTypeView;
}

/** What `alloc` produced: the map as the kernel records it. */
export interface MapAllocation {
  /** `map->max_entries` (per-CPU LRU hashes round it to a multiple of the CPU count). */
  readonly maxEntries: number;
  /** `map->map_flags` (devmaps add `BPF_F_RDONLY_PROG`). */
  readonly mapFlags: number;
  /** Bytes the kernel's allocations would take (what `map_mem_usage` reports, approximately). */
  readonly memoryBytes: number;
  /** For `*_of_maps`: the inner map template (`inner_map_meta`). */
  readonly innerMapMeta?: MapInfo;
}

/**
 * One map type: `struct bpf_map_ops` as far as creation goes. Both phases throw
 * `BpfError` with the kernel's errno.
 *
 * @example
 * const hash = registry.get(BpfMapType.BPF_MAP_TYPE_HASH)!;
 * hash.allocCheck(req, ctx); // before the token and capability checks
 * const map = hash.alloc(req, ctx); // after them
 */
export interface MapTypeDescriptor {
  /** `enum bpf_map_type` value. */
  readonly type: number;
  /** Short name as bpffs prints it: `hash`, `lru_percpu_hash`. */
  readonly name: string;
  /** Per-type gating of `map_create` (after the sysctl check). */
  readonly capability: MapCapability;
  /** `map_meta_equal` exists: the type may be the inner map of a map-in-map (else ENOTSUPP). */
  readonly innerMapAllowed: boolean;
  /** `ops->map_alloc_check`: attribute checks run before the token is looked up. */
  allocCheck(req: MapCreateRequest, ctx: MapCreateContext): void;
  /** `ops->map_alloc`: more checks and the size arithmetic (E2BIG / ENOMEM), after the capability checks. */
  alloc(req: MapCreateRequest, ctx: MapCreateContext): MapAllocation;
  /**
   * `ops->map_check_btf`: throws `BpfError` when the type refuses this key/value BTF
   * (`map_check_no_btf` gives ENOTSUPP). Absent when the type has none: then a map
   * without key BTF (`btf_key_type_id` 0) is EINVAL.
   */
  readonly checkBtf?: (check: MapBtfCheck) => void;
  /**
   * Makes the live map once every create-time check passed (after
   * `map_check_btf`, before the fd is installed): allocates its memory in the
   * arena. Throws `BpfError('ENOMEM')` when the arena cannot hold it, leaving
   * nothing allocated.
   */
  create(spec: MapRuntimeSpec): BpfMap;
}

/** A special field of a map value (`struct btf_field`): the syscall side skips or preserves it. */
export interface MapValueField {
  /** `bpf_spin_lock`, `bpf_timer`, `kptr`, `bpf_list_head`… as `btf_field_type_name` spells them. */
  readonly kind: string;
  readonly offset: number;
  readonly size: number;
  /**
   * A kptr's pointee (`kptr.btf`, `kptr.btf_id`): the kernel's struct of the same name when
   * there is one, else the program's own type in the map's BTF. A load gives a BTF pointer to it.
   */
  readonly kptr?: { readonly btf: BtfView; readonly btfId: number; readonly kernel: boolean };
  /**
   * A `bpf_list_head` / `bpf_rb_root`'s `contains:` target (`graph_root`): the value struct in
   * the map's BTF and the offset of its node member.
   */
  readonly graphRoot?: { readonly btf: BtfView; readonly valueTypeId: number; readonly nodeOffset: number };
}

/** What {@link MapTypeDescriptor.create} builds a map from. */
export interface MapRuntimeSpec {
  /** The map as `alloc` recorded it (`maxEntries` and `mapFlags` after its adjustments). */
  readonly info: MapInfo;
  readonly mapExtra: bigint;
  /** `*_of_maps`: the inner map template. */
  readonly innerMapMeta?: MapInfo;
  /** The value's special fields from its BTF (`map->record`), sorted by offset; empty without BTF. */
  readonly valueFields: readonly MapValueField[];
}

/** Every map type of the kernel profile. */
export interface MapTypeRegistry {
  /** The descriptor of a type, undefined for unknown types and `unspec` (the kernel: EINVAL). */
  get(type: number): MapTypeDescriptor | undefined;
  /** `bpf_map_offload_ops`, used instead of the type's ops when `map_ifindex` is set. */
  readonly offload: MapTypeDescriptor;
  /** All descriptors in type order. */
  all(): readonly MapTypeDescriptor[];
}
