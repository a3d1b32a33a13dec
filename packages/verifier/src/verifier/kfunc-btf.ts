import type { BtfParamView, BtfTypeView, BtfView } from '@bpfkit/kernel-api';
import { skipModifiers } from './btf-walk.js';

/** `btf_type_is_scalar`: an integer or an enum. */
export function isBtfScalar(t: BtfTypeView | undefined): boolean {
  return t?.kind === 'INT' || t?.kind === 'ENUM' || t?.kind === 'ENUM64';
}

/** `__btf_type_is_struct`. */
export function isBtfStruct(t: BtfTypeView | undefined): boolean {
  return t?.kind === 'STRUCT' || t?.kind === 'UNION';
}

/** A kfunc argument's name ends in `suffix` (`__k`, `__sz`, `__nullable`…) with something before it (`btf_param_match_suffix`). */
export function argHasSuffix(arg: BtfParamView, suffix: string): boolean {
  return arg.name.length > suffix.length && arg.name.endsWith(suffix);
}

const MAX_RESOLVE_DEPTH = 32;

/** `btf_resolve_size`: the byte size of a type through modifiers and arrays; undefined for void, functions, incomplete types. */
export function btfResolveSize(btf: BtfView, t: BtfTypeView | undefined, depth = 0): number | undefined {
  if (t === undefined || depth > MAX_RESOLVE_DEPTH) return undefined;
  switch (t.kind) {
    case 'INT': case 'ENUM': case 'ENUM64': case 'STRUCT': case 'UNION': case 'FLOAT':
      return t.size;
    case 'PTR':
      return 8;
    case 'ARRAY': {
      const elem = btfResolveSize(btf, btf.type(t.type ?? 0), depth + 1);
      return elem === undefined ? undefined : elem * (t.nelems ?? 0);
    }
    case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'TYPE_TAG':
      return btfResolveSize(btf, btf.type(t.type ?? 0), depth + 1);
    default:
      return undefined;
  }
}

const MAX_STRUCT_NESTING = 4;

/** `__btf_type_is_scalar_struct`: a struct whose members are scalars, arrays of them, or such structs (at most 4 deep). */
export function isScalarStruct(btf: BtfView, t: BtfTypeView | undefined, depth: number, log: (line: string) => void): boolean {
  if (!isBtfStruct(t)) return false;
  if (depth > MAX_STRUCT_NESTING) {
    log('max struct nesting depth exceeded');
    return false;
  }
  for (const m of t?.members ?? []) {
    let mt = skipModifiers(btf, m.type);
    if (mt?.kind === 'ARRAY') {
      // A flexible array member has no size to check against.
      if ((mt.nelems ?? 0) === 0) return false;
      mt = skipModifiers(btf, mt.type ?? 0);
    }
    if (isBtfStruct(mt)) {
      if (!isScalarStruct(btf, mt, depth + 1, log)) return false;
      continue;
    }
    if (!isBtfScalar(mt)) return false;
  }
  return true;
}

/** The id behind modifiers (`btf_type_skip_modifiers` with its `res_id`). */
export function skipModifiersId(btf: BtfView, id: number): number {
  let cur = id;
  for (let n = 0; n < 64; n++) {
    const t = btf.type(cur);
    if (t === undefined || !['TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT', 'TYPE_TAG'].includes(t.kind)) return cur;
    cur = t.type ?? 0;
  }
  return cur;
}

/**
 * `btf_struct_ids_match` at offset 0: the same struct, or (not `strict`) a struct whose
 * first member is one, as a `struct bpf_cpumask *` passes for a `struct cpumask *`.
 */
export function structIdsMatch(btf: BtfView, regId: number, wantId: number, strict: boolean, log?: (line: string) => void): boolean {
  let id = skipModifiersId(btf, regId);
  const want = skipModifiersId(btf, wantId);
  for (let depth = 0; depth < 32; depth++) {
    if (id === want) return true;
    if (strict) return false;
    const t = btf.type(id);
    const first = t?.members?.[0];
    if (t?.kind !== 'STRUCT' || first === undefined || first.bitsOffset !== 0) return false;
    // The one-byte walk to the first member stops at a pointer there, and says so.
    if (btf.type(skipModifiersId(btf, first.type))?.kind === 'PTR') {
      log?.(`cannot access ptr member ${first.name} with moff 0 in struct ${t.name ?? ''} with off 0 size 1`);
      return false;
    }
    id = skipModifiersId(btf, first.type);
  }
  return false;
}
