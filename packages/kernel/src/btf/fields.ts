import type { BtfTypeView, BtfView } from '@bpfkit/kernel-api';
import type { ErrnoName } from '@bpfkit/uapi';

/** `enum btf_field_type`: the special fields a value may hold, as mask bits. */
export const BtfField = {
  SPIN_LOCK: 1 << 0,
  TIMER: 1 << 1,
  KPTR_UNREF: 1 << 2,
  KPTR_REF: 1 << 3,
  KPTR_PERCPU: 1 << 4,
  LIST_HEAD: 1 << 5,
  LIST_NODE: 1 << 6,
  RB_ROOT: 1 << 7,
  RB_NODE: 1 << 8,
  REFCOUNT: 1 << 9,
  WORKQUEUE: 1 << 10,
  UPTR: 1 << 11,
  RES_SPIN_LOCK: 1 << 12,
  TASK_WORK: 1 << 13,
} as const;

export const BPF_KPTR = BtfField.KPTR_UNREF | BtfField.KPTR_REF | BtfField.KPTR_PERCPU;

/** The kernel's name of each field type (as `btf_field_type_name` spells it). */
export const BTF_FIELD_NAMES: Readonly<Record<number, string>> = {
  [BtfField.SPIN_LOCK]: 'bpf_spin_lock',
  [BtfField.TIMER]: 'bpf_timer',
  [BtfField.KPTR_UNREF]: 'kptr_untrusted',
  [BtfField.KPTR_REF]: 'kptr',
  [BtfField.KPTR_PERCPU]: 'percpu_kptr',
  [BtfField.LIST_HEAD]: 'bpf_list_head',
  [BtfField.LIST_NODE]: 'bpf_list_node',
  [BtfField.RB_ROOT]: 'bpf_rb_root',
  [BtfField.RB_NODE]: 'bpf_rb_node',
  [BtfField.REFCOUNT]: 'bpf_refcount',
  [BtfField.WORKQUEUE]: 'bpf_wq',
  [BtfField.UPTR]: 'uptr',
  [BtfField.RES_SPIN_LOCK]: 'bpf_res_spin_lock',
  [BtfField.TASK_WORK]: 'bpf_task_work',
};

/** Struct-typed fields recognised by the name of the member's type, with size and alignment on x86-64. */
const NAMED_FIELDS: readonly { readonly type: number; readonly name: string; readonly size: number; readonly align: number; readonly once: boolean }[] = [
  { type: BtfField.SPIN_LOCK, name: 'bpf_spin_lock', size: 4, align: 4, once: true },
  { type: BtfField.RES_SPIN_LOCK, name: 'bpf_res_spin_lock', size: 8, align: 4, once: true },
  { type: BtfField.TIMER, name: 'bpf_timer', size: 16, align: 8, once: true },
  { type: BtfField.WORKQUEUE, name: 'bpf_wq', size: 16, align: 8, once: true },
  { type: BtfField.REFCOUNT, name: 'bpf_refcount', size: 4, align: 4, once: true },
  { type: BtfField.TASK_WORK, name: 'bpf_task_work', size: 8, align: 8, once: true },
  { type: BtfField.LIST_HEAD, name: 'bpf_list_head', size: 16, align: 8, once: false },
  { type: BtfField.LIST_NODE, name: 'bpf_list_node', size: 24, align: 8, once: false },
  { type: BtfField.RB_ROOT, name: 'bpf_rb_root', size: 16, align: 8, once: false },
  { type: BtfField.RB_NODE, name: 'bpf_rb_node', size: 32, align: 8, once: false },
];

const KPTR_SIZE = 8;
/** `BTF_FIELDS_MAX`. */
const BTF_FIELDS_MAX = 11;
/** `MAX_RESOLVE_DEPTH`. */
const MAX_RESOLVE_DEPTH = 32;

/** One special field found in a value (`struct btf_field`). */
export interface BtfFieldInfo {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
  /** kptrs/uptrs: the pointee struct's id in the value's BTF. */
  readonly kptrTypeId?: number;
  /** Graph roots: the `contains:` value struct and its node member. */
  readonly graphRoot?: { readonly valueTypeId: number; readonly nodeName: string };
}

/** `struct btf_record`: the special fields of a value, and which kinds are present. */
export interface BtfRecord {
  readonly fields: readonly BtfFieldInfo[];
  readonly fieldMask: number;
}

/** Failure of the field search, with the kernel's errno. */
export class FieldError extends Error {
  constructor(readonly errno: ErrnoName, message: string) {
    super(message);
  }
}

const fail = (errno: ErrnoName, message: string): never => {
  throw new FieldError(errno, message);
};

interface Search {
  readonly btf: BtfView;
  readonly mask: number;
}

const isStruct = (t: BtfTypeView | undefined): t is BtfTypeView => t?.kind === 'STRUCT';

/** `btf_find_kptr`: a (volatile) pointer to a type-tagged struct; undefined when the member is no kptr. */
function findKptr(s: Search, t0: BtfTypeView, off: number): BtfFieldInfo | undefined {
  let t: BtfTypeView | undefined = t0;
  if (t.kind === 'VOLATILE') t = s.btf.type(t.type ?? 0);
  if (t?.kind !== 'PTR') return undefined;
  const tag = s.btf.type(t.type ?? 0);
  if (tag?.kind !== 'TYPE_TAG' || tag.kflag === true) return undefined;
  if (s.btf.type(tag.type ?? 0)?.kind === 'TYPE_TAG') fail('EINVAL', 'a kptr takes one type tag');
  const byTag: Readonly<Record<string, number>> = {
    kptr_untrusted: BtfField.KPTR_UNREF,
    kptr: BtfField.KPTR_REF,
    percpu_kptr: BtfField.KPTR_PERCPU,
    uptr: BtfField.UPTR,
  };
  const type = byTag[tag.name];
  if (type === undefined) return fail('EINVAL', `unknown pointer tag ${tag.name}`);
  if ((type & s.mask) === 0) return undefined;
  const base = s.btf.resolve(tag.type ?? 0);
  if (!isStruct(base?.type)) return fail('EINVAL', 'a kptr must point to a struct');
  return { type, offset: off, size: KPTR_SIZE, kptrTypeId: base.id };
}

/**
 * `btf_find_kptr(btf, t, 0, 0, &info, BPF_KPTR) == BTF_FIELD_FOUND` for a type by itself: a
 * (volatile) pointer tagged `kptr`, `kptr_untrusted` or `percpu_kptr` to a struct. A malformed
 * one is simply not a kptr here, as `btf_parse_struct_metas` skips it.
 */
export function isKptrPointer(btf: BtfView, t: BtfTypeView): boolean {
  try {
    return findKptr({ btf, mask: BPF_KPTR }, t, 0) !== undefined;
  } catch (e) {
    if (e instanceof FieldError) return false;
    throw e;
  }
}

/** `btf_find_decl_tag_value(…, "contains:")` of a member (or of a VAR, index -1). */
function containsTag(s: Search, parent: BtfTypeView, componentIdx: number): string {
  let value: string | undefined;
  for (let id = 1; id < s.btf.nrTypes; id++) {
    const t = s.btf.type(id);
    if (t?.kind !== 'DECL_TAG' || t.type !== parent.id || t.componentIdx !== componentIdx || !t.name.startsWith('contains:')) continue;
    if (value !== undefined) fail('EEXIST', 'two contains: tags on one graph root');
    value = t.name.slice('contains:'.length);
  }
  if (value === undefined) return fail('EINVAL', 'a graph root needs a contains: tag');
  return value;
}

/** `btf_find_graph_root`: a `bpf_list_head`/`bpf_rb_root` with its `contains:<struct>:<node>` tag. */
function findGraphRoot(s: Search, parent: BtfTypeView, componentIdx: number, t: BtfTypeView, off: number, type: number, size: number): BtfFieldInfo | undefined {
  if (!isStruct(t) || t.size !== size) return undefined;
  const value = containsTag(s, parent, componentIdx);
  const colon = value.indexOf(':');
  if (colon < 0) fail('EINVAL', `contains:${value} names no node`);
  const valueTypeId = s.btf.findAll(value.slice(0, colon), 'STRUCT')[0];
  if (valueTypeId === undefined) return fail('ENOENT', `no struct ${value.slice(0, colon)}`);
  const nodeName = value.slice(colon + 1);
  if (nodeName === '') fail('EINVAL', 'empty node name in contains:');
  return { type, offset: off, size, graphRoot: { valueTypeId, nodeName } };
}

/** `btf_repeat_fields`: the fields of an array element, once per further element. */
function repeatFields(found: BtfFieldInfo[], room: number, times: number, elemSize: number): BtfFieldInfo[] {
  const repeatable = BPF_KPTR | BtfField.UPTR | BtfField.LIST_HEAD | BtfField.RB_ROOT;
  if (found.some((f) => (f.type & repeatable) === 0)) fail('EINVAL', 'only kptrs and graph roots may be repeated in an array');
  if (found.length * (times + 1) > room) fail('E2BIG', `more than ${BTF_FIELDS_MAX} special fields`);
  const out = [...found];
  for (let i = 1; i <= times; i++) for (const f of found) out.push({ ...f, offset: f.offset + i * elemSize });
  return out;
}

interface Seen {
  mask: number;
}

/** `btf_find_field_one`: the special fields one member (or DATASEC var) contributes. */
function findFieldOne(
  s: Search, parent: BtfTypeView, componentIdx: number, memberType: BtfTypeView | undefined, off: number,
  expectedSize: number, seen: Seen, room: number, level: number,
): BtfFieldInfo[] {
  let t = memberType;
  let nelems = 1;
  let depth = 0;
  for (; depth < MAX_RESOLVE_DEPTH && t?.kind === 'ARRAY'; depth++) {
    nelems *= t.nelems ?? 0;
    t = s.btf.type(t.type ?? 0);
  }
  if (depth === MAX_RESOLVE_DEPTH) fail('E2BIG', 'arrays nested too deep');
  if (nelems === 0 || t === undefined) return [];
  const named = NAMED_FIELDS.find((f) => (f.type & s.mask) !== 0 && f.name === t.name);
  if (named === undefined && isStruct(t)) {
    const size = t.size ?? 0;
    if (expectedSize !== 0 && expectedSize !== size * nelems) return [];
    return findNestedStruct(s, t, off, nelems, room, level);
  }
  let type: number;
  let size: number;
  let align: number;
  if (named !== undefined) {
    if (named.once) {
      if ((seen.mask & named.type) !== 0) fail('E2BIG', `two ${named.name} at one level`);
      seen.mask |= named.type;
    }
    ({ type, size, align } = named);
  } else if ((s.mask & (BPF_KPTR | BtfField.UPTR)) !== 0 && !isStruct(t)) {
    type = BtfField.KPTR_REF;
    size = KPTR_SIZE;
    align = KPTR_SIZE;
  } else {
    return [];
  }
  if (expectedSize !== 0 && expectedSize !== size * nelems) return [];
  let info: BtfFieldInfo | undefined;
  if (type === BtfField.KPTR_REF && named === undefined) {
    if (off % align !== 0) return [];
    info = findKptr(s, t, off);
  } else if (type === BtfField.LIST_HEAD || type === BtfField.RB_ROOT) {
    info = findGraphRoot(s, parent, componentIdx, t, off, type, size);
  } else {
    info = isStruct(t) && t.size === size ? { type, offset: off, size } : undefined;
  }
  if (info === undefined) return [];
  if (off % align !== 0) fail('EFAULT', `${BTF_FIELD_NAMES[type] ?? '?'} at offset ${off} is misaligned`);
  if (room === 0) fail('E2BIG', `more than ${BTF_FIELDS_MAX} special fields`);
  return nelems > 1 ? repeatFields([info], room, nelems - 1, size) : [info];
}

/** `btf_find_nested_struct`: fields of a struct member, shifted to the container's offsets. */
function findNestedStruct(s: Search, t: BtfTypeView, off: number, nelems: number, room: number, level: number): BtfFieldInfo[] {
  if (level + 1 >= MAX_RESOLVE_DEPTH) fail('E2BIG', 'structs nested too deep');
  const inner = findStructFields(s, t, room, level + 1).map((f) => ({ ...f, offset: f.offset + off }));
  if (inner.length === 0 || nelems <= 1) return inner;
  return repeatFields(inner, room, nelems - 1, t.size ?? 0);
}

/** `btf_find_struct_field`. */
function findStructFields(s: Search, t: BtfTypeView, room: number, level: number): BtfFieldInfo[] {
  const out: BtfFieldInfo[] = [];
  const seen: Seen = { mask: 0 };
  (t.members ?? []).forEach((m, i) => {
    if (m.bitsOffset % 8 !== 0) fail('EINVAL', `member ${m.name} is not byte aligned`);
    out.push(...findFieldOne(s, t, i, s.btf.type(m.type), m.bitsOffset / 8, 0, seen, room - out.length, level));
  });
  return out;
}

/** `btf_find_datasec_var`. */
function findDatasecFields(s: Search, t: BtfTypeView): BtfFieldInfo[] {
  const out: BtfFieldInfo[] = [];
  const seen: Seen = { mask: 0 };
  for (const v of t.vars ?? []) {
    const variable = s.btf.type(v.type);
    if (variable === undefined) continue;
    out.push(...findFieldOne(s, variable, -1, s.btf.type(variable.type ?? 0), v.offset, v.size, seen, BTF_FIELDS_MAX - out.length, 0));
  }
  return out;
}

/** `btf_parse_graph_root`: the node member of the contained struct. */
function parseGraphRoot(btf: BtfView, root: { readonly valueTypeId: number; readonly nodeName: string }, nodeTypeName: string): void {
  const t = btf.type(root.valueTypeId);
  let found = false;
  for (const m of t?.members ?? []) {
    if (m.name !== root.nodeName) continue;
    if (found) fail('EINVAL', `two members named ${m.name}`);
    found = true;
    const n = btf.type(m.type);
    if (!isStruct(n) || n.name !== nodeTypeName) fail('EINVAL', `${m.name} is not a ${nodeTypeName}`);
    if (m.bitsOffset % 8 !== 0 || (m.bitsOffset / 8) % 8 !== 0) fail('EINVAL', `${m.name} is misaligned`);
  }
  if (!found) fail('ENOENT', `no member ${root.nodeName}`);
}

/**
 * `btf_parse_fields`: the special fields of a value type among `mask`, or undefined
 * when it has none. Throws {@link FieldError} as the kernel returns an error record.
 */
export function parseFields(btf: BtfView, t: BtfTypeView, mask: number, valueSize: number): BtfRecord | undefined {
  const s: Search = { btf, mask };
  let found: BtfFieldInfo[];
  if (t.kind === 'STRUCT') found = findStructFields(s, t, BTF_FIELDS_MAX, 0);
  else if (t.kind === 'DATASEC') found = findDatasecFields(s, t);
  else return fail('EINVAL', `a ${t.kind} holds no fields`);
  if (found.length === 0) return undefined;
  let nextOff = 0;
  let fieldMask = 0;
  let spinLock = false;
  let refcount = false;
  for (const f of found) {
    if (f.offset + f.size > valueSize) fail('EFAULT', `field at ${f.offset} past the value`);
    if (f.offset < nextOff) fail('EEXIST', `fields overlap at offset ${f.offset}`);
    nextOff = f.offset + f.size;
    fieldMask |= f.type;
    if (f.type === BtfField.SPIN_LOCK) spinLock = true;
    if (f.type === BtfField.REFCOUNT) refcount = true;
    if (f.graphRoot !== undefined) parseGraphRoot(btf, f.graphRoot, f.type === BtfField.LIST_HEAD ? 'bpf_list_node' : 'bpf_rb_node');
  }
  if ((fieldMask & (BtfField.LIST_HEAD | BtfField.RB_ROOT)) !== 0 && !spinLock) fail('EINVAL', 'bpf_list_head and bpf_rb_root need a bpf_spin_lock');
  if (!refcount && (fieldMask & BtfField.LIST_NODE) !== 0 && (fieldMask & BtfField.RB_NODE) !== 0) {
    fail('EINVAL', 'a node in both a list and a tree needs a bpf_refcount');
  }
  return { fields: found, fieldMask };
}
