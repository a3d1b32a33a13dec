import type { BtfTypeView, BtfView } from '@bpfkit/kernel-api';
import { skipModifiers } from './btf-walk.js';

/** The special field kinds of a program-allocated object, as `btf_field_type_name` spells them. */
export type GraphFieldKind = 'bpf_spin_lock' | 'bpf_list_head' | 'bpf_list_node' | 'bpf_rb_root' | 'bpf_rb_node' | 'bpf_refcount' | 'kptr';

/** A graph root's `contains:<struct>:<node>` target (`struct btf_field_graph_root`). */
export interface GraphRoot {
  readonly btf: BtfView;
  readonly valueTypeId: number;
  readonly nodeOffset: number;
}

/** One special field of a struct (`struct btf_field`). */
export interface GraphField {
  readonly kind: GraphFieldKind;
  readonly offset: number;
  readonly size: number;
  readonly root?: GraphRoot;
}

/** `struct btf_struct_meta`'s record: the special fields, and where the lock and the refcount are (-1: none). */
export interface StructMeta {
  readonly fields: readonly GraphField[];
  readonly spinLockOff: number;
  readonly refcountOff: number;
}

const NAMED: Readonly<Record<string, GraphFieldKind>> = {
  bpf_spin_lock: 'bpf_spin_lock', bpf_list_head: 'bpf_list_head', bpf_list_node: 'bpf_list_node',
  bpf_rb_root: 'bpf_rb_root', bpf_rb_node: 'bpf_rb_node', bpf_refcount: 'bpf_refcount',
};

const cache = new WeakMap<BtfView, Map<number, StructMeta | null>>();

/** The `contains:` tag on member `idx` of `parent`, resolved to the value struct and its node's offset. */
export function graphRootOf(btf: BtfView, parent: BtfTypeView, idx: number): GraphRoot | undefined {
  for (let id = 1; id < btf.nrTypes; id++) {
    const t = btf.type(id);
    if (t?.kind !== 'DECL_TAG' || t.type !== parent.id || t.componentIdx !== idx || !t.name.startsWith('contains:')) continue;
    const [structName = '', nodeName = ''] = t.name.slice('contains:'.length).split(':');
    const valueTypeId = btf.findAll(structName, 'STRUCT')[0];
    const node = valueTypeId === undefined ? undefined : btf.type(valueTypeId)?.members?.find((m) => m.name === nodeName);
    if (valueTypeId === undefined || node === undefined) return undefined;
    return { btf, valueTypeId, nodeOffset: Math.floor(node.bitsOffset / 8) };
  }
  return undefined;
}

function isKptr(btf: BtfView, type: number): boolean {
  let t = btf.type(type);
  if (t?.kind === 'VOLATILE') t = btf.type(t.type ?? 0);
  if (t?.kind !== 'PTR') return false;
  const tag = btf.type(t.type ?? 0);
  return tag?.kind === 'TYPE_TAG' && (tag.name === 'kptr' || tag.name === 'kptr_untrusted' || tag.name === 'percpu_kptr');
}

/**
 * `btf_find_struct_meta` for a program's own struct: its special fields when it has any
 * (BTF_LOAD records those of every struct with a lock, graph node or root, or refcount),
 * undefined otherwise. Only the struct's own members are searched.
 */
export function findStructMeta(btf: BtfView, id: number): StructMeta | undefined {
  let perBtf = cache.get(btf);
  if (perBtf === undefined) {
    perBtf = new Map();
    cache.set(btf, perBtf);
  }
  const hit = perBtf.get(id);
  if (hit !== undefined) return hit ?? undefined;
  const t = btf.type(id);
  const fields: GraphField[] = [];
  let graphy = false;
  (t?.kind === 'STRUCT' ? t.members ?? [] : []).forEach((m, idx) => {
    const off = Math.floor(m.bitsOffset / 8);
    const mt = skipModifiers(btf, m.type);
    const kind = mt?.kind === 'STRUCT' ? NAMED[mt.name] : undefined;
    if (kind !== undefined) {
      graphy = true;
      const root = kind === 'bpf_list_head' || kind === 'bpf_rb_root' ? graphRootOf(btf, t as BtfTypeView, idx) : undefined;
      fields.push({ kind, offset: off, size: mt?.size ?? 0, ...(root === undefined ? {} : { root }) });
    } else if (isKptr(btf, m.type)) {
      fields.push({ kind: 'kptr', offset: off, size: 8 });
    }
  });
  const meta = graphy ? {
    fields,
    spinLockOff: fields.find((f) => f.kind === 'bpf_spin_lock')?.offset ?? -1,
    refcountOff: fields.find((f) => f.kind === 'bpf_refcount')?.offset ?? -1,
  } : undefined;
  perBtf.set(id, meta ?? null);
  return meta;
}
