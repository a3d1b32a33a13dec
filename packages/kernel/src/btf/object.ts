import type { BtfView } from '@bpfkit/kernel-api';
import type { BpfObject } from '../bpf/objects.js';
import { BPF_KPTR, BtfField, FieldError, isKptrPointer, parseFields, type BtfRecord } from './fields.js';
import { checkKptrTargets } from './kptr-targets.js';

/** What the kernel keeps of a BTF object (`struct btf`): the types, whether it is the kernel's, the struct metas. */
export interface KernelBtf {
  readonly view: BtfView;
  /** `btf_is_kernel`: vmlinux (or a module), not loaded by BTF_LOAD. */
  readonly isKernel: boolean;
  /** `btf->struct_meta_tab`: records of the structs that own graph nodes, locks or refcounts, by type id. */
  readonly structMetas: ReadonlyMap<number, BtfRecord>;
  /** The raw BTF as loaded (`btf->data`), what BPF_OBJ_GET_INFO_BY_FD copies out. */
  readonly data?: Uint8Array;
}

/** The types `btf_parse_struct_metas` looks for among the members of every struct. */
const ALLOC_OBJ_FIELDS = ['bpf_spin_lock', 'bpf_res_spin_lock', 'bpf_list_head', 'bpf_list_node', 'bpf_rb_root', 'bpf_rb_node', 'bpf_refcount'];

const STRUCT_META_FIELDS = BtfField.SPIN_LOCK | BtfField.RES_SPIN_LOCK | BtfField.LIST_HEAD | BtfField.LIST_NODE |
  BtfField.RB_ROOT | BtfField.RB_NODE | BtfField.REFCOUNT | BPF_KPTR;

const ALLOC_OBJ_FIELD_NAMES: ReadonlySet<string> = new Set(ALLOC_OBJ_FIELDS);

/**
 * The ids of the {@link ALLOC_OBJ_FIELDS} structs: for each name the first STRUCT in id order,
 * as `btf_find_by_name_kind` finds it. One scan of the types for all the names; `findAll` would
 * index every name of a BTF that is loaded once (vmlinux: ~150k types) to look up seven.
 */
function allocObjFieldIds(btf: BtfView): Set<number> {
  const ids = new Set<number>();
  const found = new Set<string>();
  for (let id = 1; id < btf.nrTypes && found.size < ALLOC_OBJ_FIELD_NAMES.size; id++) {
    if (btf.kind(id) !== 'STRUCT') continue;
    const t = btf.type(id);
    if (t?.kind !== 'STRUCT' || !ALLOC_OBJ_FIELD_NAMES.has(t.name) || found.has(t.name)) continue;
    found.add(t.name);
    ids.add(id);
  }
  return ids;
}

/**
 * `btf_parse_struct_metas`, the last step of BTF_LOAD: every struct with a member of one of the
 * allocatable-object field types, or a member that is a kptr, gets its special fields parsed; a bad
 * one (a referenced kptr to a kernel struct without a destructor among them) fails the load with the
 * field search's errno ({@link FieldError}).
 */
export function parseStructMetas(btf: BtfView, vmlinux: () => BtfView | undefined = () => undefined): Map<number, BtfRecord> {
  const metas = new Map<number, BtfRecord>();
  const wanted = allocObjFieldIds(btf);
  for (let id = 1; id < btf.nrTypes; id++) {
    const kind = btf.kind(id);
    if (kind !== 'PTR' && kind !== 'VOLATILE') continue;
    const t = btf.type(id);
    if (t !== undefined && isKptrPointer(btf, t)) wanted.add(id);
  }
  if (wanted.size === 0) return metas;
  for (let id = 1; id < btf.nrTypes; id++) {
    if (btf.kind(id) !== 'STRUCT') continue;
    const t = btf.type(id);
    if (t?.kind !== 'STRUCT' || !(t.members ?? []).some((m) => wanted.has(m.type))) continue;
    const rec = parseFields(btf, t, STRUCT_META_FIELDS, t.size ?? 0);
    if (rec === undefined) continue;
    checkKptrTargets(rec, btf, vmlinux);
    metas.set(id, rec);
  }
  return metas;
}

/** A user BTF object's record, built at BTF_LOAD. */
export function userBtf(view: BtfView, data?: Uint8Array, vmlinux?: () => BtfView | undefined): KernelBtf {
  return { view, isKernel: false, structMetas: parseStructMetas(view, vmlinux), ...(data === undefined ? {} : { data }) };
}

/** The kernel BTF of a BPF object, when it is one. */
export function kernelBtfOf(obj: BpfObject | undefined): KernelBtf | undefined {
  return obj?.kind === 'btf' ? (obj.impl as KernelBtf) : undefined;
}

export { FieldError };
