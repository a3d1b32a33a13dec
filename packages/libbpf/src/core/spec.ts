import type { Btf } from '@bpfkit/btf';
import { isAnyEnum, isComposite, kindStr, resolveSize, skipMods, typeLabel } from './btf-util.js';
import { CoreFailure } from './failure.js';
import { coreReloKindName, isEnumvalKind, isFieldKind, isTypeKind } from './kinds.js';

/** Longest access string libbpf accepts (`BPF_CORE_SPEC_MAX_LEN`). */
export const CORE_SPEC_MAX_LEN = 64;

/**
 * A high-level step of an access: a named member (`typeId` is the enclosing composite,
 * `idx` the member index) or an array index (`typeId` the element type, no name).
 * For enumerator relocations the one step is the enumerator.
 */
export interface CoreAccessor {
  readonly typeId: number;
  readonly idx: number;
  readonly name: string | undefined;
}

/** `struct bpf_core_spec`: a parsed (local) or matched (target) access. */
export interface CoreSpec {
  readonly btf: Btf;
  readonly rootTypeId: number;
  readonly kind: number;
  /** Every access string index, anonymous members included. */
  readonly raw: number[];
  /** Named members and array indexes only. */
  readonly accessors: CoreAccessor[];
  bitOffset: number;
}

/** An empty spec for `rootTypeId`. */
export function emptySpec(btf: Btf, rootTypeId: number, kind: number): CoreSpec {
  return { btf, rootTypeId, kind, raw: [], accessors: [], bitOffset: 0 };
}

function parseAccessString(s: string): number[] {
  if (s === '' || s.startsWith(':')) throw new CoreFailure('EINVAL', 'bad-access-string', `empty or malformed access string '${s}'`);
  const parts = s.split(':');
  if (parts.length > CORE_SPEC_MAX_LEN) throw new CoreFailure('E2BIG', 'bad-access-string', `access string has ${parts.length} parts, more than ${CORE_SPEC_MAX_LEN}`);
  return parts.map((p) => {
    if (!/^[0-9]+$/.test(p) || Number(p) > 0x7fffffff) throw new CoreFailure('EINVAL', 'bad-access-string', `malformed access string '${s}'`);
    return Number(p);
  });
}

/**
 * `flex` arrays: a zero-length array that is the last member of the struct the previous
 * (named) accessor stepped into may be indexed past its bounds.
 */
export function isFlexArray(btf: Btf, prev: CoreAccessor | undefined, nelems: number): boolean {
  if (prev?.name === undefined || nelems > 0) return false;
  const t = btf.type(prev.typeId);
  return t !== undefined && isComposite(t) && prev.idx === t.members.length - 1;
}

/**
 * `bpf_core_parse_spec`: turns a relocation's access string into a spec of the local type,
 * with the bit offset it reaches. Throws {@link CoreFailure} (EINVAL, E2BIG) on a bad string
 * or one that does not fit the type.
 */
export function parseSpec(btf: Btf, typeId: number, accessStr: string, kind: number): CoreSpec {
  const spec = emptySpec(btf, typeId, kind);
  if (accessStr === '' || accessStr.startsWith(':')) throw new CoreFailure('EINVAL', 'bad-access-string', `empty or malformed access string '${accessStr}'`);
  if (isTypeKind(kind)) {
    if (accessStr !== '0') throw new CoreFailure('EINVAL', 'bad-access-string', `type-based relocation needs access string '0', not '${accessStr}'`);
    return spec;
  }
  spec.raw.push(...parseAccessString(accessStr));
  const root = skipMods(btf, typeId);
  if (root === undefined) throw new CoreFailure('EINVAL', 'bad-type', `type [${typeId}] not found`);
  const first = spec.raw[0] ?? 0;
  if (isEnumvalKind(kind)) {
    const t = root.type;
    if (!isAnyEnum(t)) throw new CoreFailure('EINVAL', 'bad-access-string', `enumerator relocation on ${typeLabel(btf, root.id)}, not an enum`);
    if (spec.raw.length > 1) throw new CoreFailure('EINVAL', 'bad-access-string', `enumerator relocation takes one index, not '${accessStr}'`);
    const value = t.values[first];
    if (value === undefined) throw new CoreFailure('EINVAL', 'bad-access-string', `enumerator #${first} is past the ${t.values.length} of ${typeLabel(btf, root.id)}`);
    spec.accessors.push({ typeId: root.id, idx: first, name: value.name });
    return spec;
  }
  if (!isFieldKind(kind)) throw new CoreFailure('EINVAL', 'bad-kind', `unknown relocation kind ${kind}`);
  spec.accessors.push({ typeId: root.id, idx: first, name: undefined });
  const rootSize = resolveSize(btf, root.id);
  if (rootSize === undefined) throw new CoreFailure('EINVAL', 'bad-type', `${typeLabel(btf, root.id)} has no size`);
  spec.bitOffset = first * rootSize * 8;
  let id = root.id;
  for (let i = 1; i < spec.raw.length; i++) {
    const cur = skipMods(btf, id);
    if (cur === undefined) throw new CoreFailure('EINVAL', 'bad-type', `type [${id}] not found`);
    id = cur.id;
    const t = cur.type;
    const idx = spec.raw[i] ?? 0;
    if (isComposite(t)) {
      const m = t.members[idx];
      if (m === undefined) throw new CoreFailure('EINVAL', 'bad-access-string', `member #${idx} is past the ${t.members.length} members of ${typeLabel(btf, id)}`);
      spec.bitOffset += m.bitsOffset;
      if (m.nameOff !== 0) {
        if (m.name === '') throw new CoreFailure('EINVAL', 'bad-type', `member #${idx} of ${typeLabel(btf, id)} has an empty name`);
        spec.accessors.push({ typeId: id, idx, name: m.name });
      }
      id = m.type;
    } else if (t.kind === 'ARRAY') {
      const elem = skipMods(btf, t.type);
      if (elem === undefined) throw new CoreFailure('EINVAL', 'bad-type', `array element type [${t.type}] not found`);
      if (!isFlexArray(btf, spec.accessors[spec.accessors.length - 1], t.nelems) && idx >= t.nelems) {
        throw new CoreFailure('EINVAL', 'bad-access-string', `index ${idx} is past the ${t.nelems} elements of array [${id}]`);
      }
      id = elem.id;
      spec.accessors.push({ typeId: id, idx, name: undefined });
      const size = resolveSize(btf, id);
      if (size === undefined) throw new CoreFailure('EINVAL', 'bad-type', `array element ${typeLabel(btf, id)} has no size`);
      spec.bitOffset += idx * size * 8;
    } else {
      throw new CoreFailure('EINVAL', 'bad-access-string', `access '${accessStr}' (at idx ${i}) captures type [${id}] of unexpected kind ${kindStr(t)}`);
    }
  }
  return spec;
}

/**
 * `bpf_core_format_spec`: `<kind> [id] struct name.field[2] (0:1:2 @ offset 8)` for fields,
 * `::NAME = value` for enumerators, only the type for type-based kinds.
 */
export function formatSpec(spec: CoreSpec): string {
  const t = spec.btf.type(spec.rootTypeId);
  const head = `<${coreReloKindName(spec.kind)}> [${spec.rootTypeId}] ${t === undefined ? 'unkn' : kindStr(t)} ${t === undefined || t.name === '' ? '<anon>' : t.name}`;
  if (isTypeKind(spec.kind)) return head;
  if (isEnumvalKind(spec.kind)) {
    const e = skipMods(spec.btf, spec.rootTypeId)?.type;
    if (e === undefined || !isAnyEnum(e)) return head;
    const v = e.values[spec.raw[0] ?? 0];
    if (v === undefined) return head;
    const value = typeof v.value === 'number' ? (e.signed ? v.value | 0 : v.value >>> 0) : v.value;
    return `${head}::${v.name} = ${String(value)}`;
  }
  let path = '';
  spec.accessors.forEach((a, i) => {
    if (a.name !== undefined) path += `.${a.name}`;
    else if (i > 0 || a.idx > 0) path += `[${a.idx}]`;
  });
  const bytes = Math.floor(spec.bitOffset / 8);
  const bits = spec.bitOffset % 8;
  return `${head}${path} (${spec.raw.join(':')} @ offset ${bits === 0 ? String(bytes) : `${bytes}.${bits}`})`;
}
