import type { Btf, BtfType } from '@bpfkit/btf';
import { isBpfError } from '@bpfkit/kernel-api';

/** A type id and its type. */
export interface TypeRef {
  readonly id: number;
  readonly type: BtfType;
}

/**
 * `skip_mods_and_typedefs`: follows typedefs and qualifiers. `undefined` for an unknown
 * id, and for a dangling id or a loop in unvalidated BTF (libbpf's NULL).
 */
export function skipMods(btf: Btf, id: number): TypeRef | undefined {
  try {
    return btf.resolve(id);
  } catch (e) {
    if (isBpfError(e)) return undefined;
    throw e;
  }
}

/** `btf__resolve_size`: `undefined` where libbpf returns an error (void, FWD, FUNC, bad ids). */
export function resolveSize(btf: Btf, id: number): number | undefined {
  try {
    return btf.size(id);
  } catch (e) {
    if (isBpfError(e)) return undefined;
    throw e;
  }
}

/** `btf_kind_str`: the lower-case kind name libbpf prints. */
export function kindStr(t: BtfType): string {
  return t.kind === 'VOID' ? 'unkn' : t.kind.toLowerCase();
}

/** `[id] kind name` as libbpf's messages print a type (`<anon>` for no name). */
export function typeLabel(btf: Btf, id: number): string {
  const t = btf.type(id);
  if (t === undefined) return `[${id}] <unknown>`;
  return `[${id}] ${kindStr(t)} ${t.name === '' ? '<anon>' : t.name}`;
}

export function isComposite(t: BtfType): t is Extract<BtfType, { kind: 'STRUCT' | 'UNION' }> {
  return t.kind === 'STRUCT' || t.kind === 'UNION';
}

export function isAnyEnum(t: BtfType): t is Extract<BtfType, { kind: 'ENUM' | 'ENUM64' }> {
  return t.kind === 'ENUM' || t.kind === 'ENUM64';
}

/** `btf_kind_core_compat`: same kind, or both enums of either width. */
export function kindsCompat(a: BtfType, b: BtfType): boolean {
  return a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));
}


/** A FWD's, STRUCT's or UNION's `kind_flag` (union-ness / bitfield members). */
export function kflag(t: BtfType): boolean {
  if (t.kind === 'FWD') return t.union;
  if (t.kind === 'STRUCT' || t.kind === 'UNION') return t.kflag;
  if (t.kind === 'ENUM' || t.kind === 'ENUM64') return t.signed;
  return false;
}

