import { BpfError } from '@bpfkit/kernel-api';
import { ownSize } from './own-size.js';
import type { BtfType } from './types.js';

// Resolution for BTF that skipped the kernel's resolve pass (`decodeBtf`): ids may dangle
// and `type` links may form cycles, so every walk is iterative and bounded by the number
// of types, and failures are BpfErrors rather than wrong answers.

/** What the walks need from a Btf. */
export interface TypeLookup {
  type(id: number): BtfType | undefined;
  readonly nrTypes: number;
}

const U32_MAX = 0xffffffff;

/** A type that only forwards to `type`: modifiers, typedef, and (for sizes) VAR. */
function forwards(t: BtfType, throughVar: boolean): t is Extract<BtfType, { type: number }> {
  const k = t.kind;
  return k === 'TYPEDEF' || k === 'VOLATILE' || k === 'CONST' || k === 'RESTRICT' || k === 'TYPE_TAG' || (throughVar && k === 'VAR');
}


const dangling = (from: number, to: number): BpfError =>
  new BpfError('EINVAL', 'btf:invalid-type-id', `[${from}] refers to type id ${to}, which does not exist`);
const loop = (id: number): BpfError => new BpfError('ELOOP', 'btf:loop', `[${id}] type chain loops back on itself`);

/**
 * Follows modifiers (and VARs when `throughVar`) from `id` to the first other type.
 * Throws ELOOP on a cycle and EINVAL on a dangling id; `undefined` only when `id` itself is unknown.
 */
export function skipForwarding(btf: TypeLookup, id: number, throughVar: boolean): { id: number; type: BtfType } | undefined {
  let cur = id;
  let t = btf.type(cur);
  if (t === undefined) return undefined;
  for (let steps = 0; forwards(t, throughVar); steps++) {
    if (steps > btf.nrTypes) throw loop(id);
    const next = btf.type(t.type);
    if (next === undefined) throw dangling(cur, t.type);
    cur = t.type;
    t = next;
  }
  return { id: cur, type: t };
}

/**
 * `btf_type_id_size` without the kernel's resolved tables: the sized type behind `id`
 * and its size; `undefined` for unknown ids, void, FWD, FUNC, FUNC_PROTO and DECL_TAG.
 */
export function structuralTypeIdSize(btf: TypeLookup, id: number): { id: number; type: BtfType; size: number } | undefined {
  const r = skipForwarding(btf, id, true);
  if (r === undefined) return undefined;
  const size = structuralSize(btf, r.id);
  return size === undefined ? undefined : { ...r, size };
}

/**
 * The size of a type: arrays multiply down to their element (an unsized element or a size
 * past U32_MAX throws, as the kernel refuses both), modifiers and VARs forward.
 */
export function structuralSize(btf: TypeLookup, id: number): number | undefined {
  const nelems: number[] = [];
  let cur = id;
  let t = btf.type(cur);
  if (t === undefined) return undefined;
  for (let steps = 0; ; steps++) {
    if (steps > btf.nrTypes) throw loop(id);
    const direct = ownSize(t);
    if (direct !== undefined) return multiply(id, direct, nelems);
    if (t.kind === 'ARRAY') nelems.push(t.nelems);
    else if (!forwards(t, true)) break;
    const next = btf.type(t.type);
    if (next === undefined) throw dangling(cur, t.type);
    cur = t.type;
    t = next;
  }
  if (nelems.length === 0) return undefined;
  throw new BpfError('EINVAL', 'btf:unsized-elem', `[${id}] array element [${cur}] ${t.kind} has no size`);
}

function multiply(id: number, elemSize: number, nelems: readonly number[]): number {
  let size = elemSize;
  for (let i = nelems.length - 1; i >= 0; i--) {
    const n = nelems[i] ?? 0;
    if (n !== 0 && size > Math.floor(U32_MAX / n)) throw new BpfError('E2BIG', 'btf:array-too-big', `[${id}] array size overflows U32_MAX`);
    size *= n;
  }
  return size;
}

/** What the kernel's resolve pass would record as `resolved_id` for `id` (0 for kinds without one). */
export function structuralResolvedId(btf: TypeLookup, id: number): number {
  const t = btf.type(id);
  if (t === undefined) return 0;
  switch (t.kind) {
    case 'TYPEDEF':
    case 'VOLATILE':
    case 'CONST':
    case 'RESTRICT':
    case 'TYPE_TAG':
    case 'PTR':
    case 'VAR': {
      const r = skipForwarding(btf, t.type, false);
      if (r === undefined) throw dangling(id, t.type);
      return r.id;
    }
    case 'ARRAY': {
      const el = structuralTypeIdSize(btf, t.type);
      if (el === undefined) throw new BpfError('EINVAL', 'btf:unsized-elem', `[${id}] array element type ${t.type} has no size`);
      return el.id;
    }
    case 'FUNC':
    case 'DECL_TAG':
      return t.type;
    default:
      return 0;
  }
}
