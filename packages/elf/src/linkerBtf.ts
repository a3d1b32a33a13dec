import type { Btf, BtfType, BtfTypeInput } from '@bpfkit/btf';
import { parseMapDef, type MapSpec } from './btfMaps.js';
import { elfError } from './errors.js';

/** BTF linkage of a VAR/FUNC that is not static (global, or extern). */
export function nonStatic(t: BtfType | undefined): t is Extract<BtfType, { kind: 'VAR' | 'FUNC' }> {
  return (t?.kind === 'VAR' || t?.kind === 'FUNC') && t.linkage !== 0;
}

function peel(btf: Btf, id: number): { id: number; t: BtfType | undefined } {
  let cur = id;
  for (let depth = 0; depth < 64; depth++) {
    const t = btf.type(cur);
    if (t === undefined || (t.kind !== 'TYPEDEF' && t.kind !== 'VOLATILE' && t.kind !== 'CONST' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG')) {
      return { id: cur, t };
    }
    cur = t.type;
  }
  return { id: cur, t: undefined };
}

/**
 * Why two declarations of one global (an extern and its definition, or two externs)
 * disagree, or `undefined` when they agree, by libbpf's linker rules: typedefs and
 * qualifiers are looked through; kinds must match; structs, unions, enums, forward
 * declarations, functions and variables must have the same names; ints, floats and enums
 * only the same size; array lengths are ignored; behind a pointer a forward declaration
 * matches a struct or union of its name and members are not compared; prototypes must
 * have as many parameters, of matching types.
 */
export function typeMismatch(b1: Btf, id1: number, b2: Btf, id2: number): string | undefined {
  const seen = new Set<string>();
  let budget = 1 << 16;
  const walk = (a: number, b: number, exact: boolean): string | undefined => {
    if (--budget < 0) return 'types nest too deeply';
    const x = peel(b1, a);
    const y = peel(b2, b);
    const key = `${String(x.id)}:${String(y.id)}:${String(exact)}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    const t1 = x.t, t2 = y.t;
    if (t1 === undefined || t2 === undefined) return `type ${String(t1 === undefined ? x.id : y.id)} does not exist`;
    if (!exact && (t1.kind === 'FWD') !== (t2.kind === 'FWD')) {
      if (t1.name !== t2.name) return `incompatible forward declaration names '${t1.name}' and '${t2.name}'`;
      const [fwd, other] = t1.kind === 'FWD' ? [t1, t2] : [t2, t1];
      const union = fwd.kind === 'FWD' && fwd.union;
      return (union ? other.kind === 'UNION' : other.kind === 'STRUCT') ? undefined : `incompatible forward declaration and concrete kind ${other.kind}`;
    }
    if (t1.kind !== t2.kind) return `incompatible BTF kinds ${t1.kind} and ${t2.kind}`;
    const named = ['STRUCT', 'UNION', 'ENUM', 'ENUM64', 'FWD', 'FUNC', 'VAR'].includes(t1.kind);
    if (named && t1.name !== t2.name) return `incompatible ${t1.kind} names '${t1.name}' and '${t2.name}'`;
    switch (t1.kind) {
      case 'VOID': case 'FWD': return undefined;
      case 'INT': case 'FLOAT': case 'ENUM': case 'ENUM64':
        return 'size' in t2 && t1.size === t2.size ? undefined : `incompatible ${t1.kind} '${t1.name}' sizes`;
      case 'PTR': return t2.kind === 'PTR' ? walk(t1.type, t2.type, false) : 'kind';
      case 'ARRAY': return t2.kind === 'ARRAY' ? walk(t1.type, t2.type, exact) : 'kind';
      case 'FUNC': case 'VAR':
        if (t2.kind !== 'FUNC' && t2.kind !== 'VAR') return 'kind';
        if ((t1.linkage === 0) !== (t2.linkage === 0)) return `incompatible ${t1.kind} '${t1.name}' linkage`;
        return walk(t1.type, t2.type, exact);
      case 'STRUCT': case 'UNION': {
        if (!exact) return undefined;
        if (t2.kind !== 'STRUCT' && t2.kind !== 'UNION') return 'kind';
        if (t1.members.length !== t2.members.length) return `incompatible number of ${t1.kind} fields ${String(t1.members.length)} and ${String(t2.members.length)}`;
        for (const [i, m] of t1.members.entries()) {
          const n = t2.members[i];
          if (n === undefined || m.name !== n.name) return `incompatible field #${String(i)} names '${m.name}' and '${n?.name ?? ''}'`;
          if (m.bitsOffset !== n.bitsOffset || m.bitfieldSize !== n.bitfieldSize) return `incompatible field #${String(i)} ('${m.name}') offsets`;
          const why = walk(m.type, n.type, exact);
          if (why !== undefined) return why;
        }
        return undefined;
      }
      case 'FUNC_PROTO': {
        if (t2.kind !== 'FUNC_PROTO') return 'kind';
        if (t1.params.length !== t2.params.length) return `incompatible number of FUNC_PROTO params ${String(t1.params.length)} and ${String(t2.params.length)}`;
        for (const [i, p] of t1.params.entries()) {
          const why = walk(p.type, t2.params[i]?.type ?? -1, exact);
          if (why !== undefined) return why;
        }
        return walk(t1.type, t2.type, exact);
      }
      default: return `unsupported BTF kind ${t1.kind}`;
    }
  };
  return walk(id1, id2, true);
}

const MAP_FIELDS = ['type', 'keySize', 'valueSize', 'maxEntries', 'flags', 'numaNode', 'mapExtra', 'pinning', 'valuesAreProgs'] as const;

function mapDiff(a: MapSpec, b: MapSpec, prefix: string): string | undefined {
  for (const f of MAP_FIELDS) if (a[f] !== b[f]) return `map ${prefix}${f} mismatch (${String(a[f])} vs ${String(b[f])})`;
  if ((a.inner === undefined) !== (b.inner === undefined)) return `map ${prefix}inner map definition mismatch`;
  return a.inner !== undefined && b.inner !== undefined ? mapDiff(a.inner, b.inner, 'inner ') : undefined;
}

/** Why two `.maps` declarations of one name (an extern and its definition) declare different maps, or `undefined`. */
export function mapMismatch(name: string, b1: Btf, var1: number, b2: Btf, var2: number): string | undefined {
  const v1 = b1.type(var1), v2 = b2.type(var2);
  if (v1?.kind !== 'VAR' || v2?.kind !== 'VAR') return 'map declarations must be variables';
  return mapDiff(parseMapDef(b1, name, v1.type, false), parseMapDef(b2, name, v2.type, false), '');
}

function bare(x: object): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...x };
  delete copy.nameOff;
  delete copy.id;
  return copy;
}

/**
 * One type with every referenced id passed through `map` (the linked object's numbering);
 * names go back through the builder's string table, so offsets are dropped.
 */
export function remapType(t: BtfType, map: (id: number) => number): BtfTypeInput {
  const base = bare(t);
  let out: Record<string, unknown>;
  switch (t.kind) {
    case 'PTR': case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'TYPE_TAG': case 'FUNC': case 'VAR': case 'DECL_TAG':
      out = { ...base, type: map(t.type) };
      break;
    case 'ARRAY':
      out = { ...base, type: map(t.type), indexType: map(t.indexType) };
      break;
    case 'STRUCT': case 'UNION':
      out = { ...base, members: t.members.map((m) => ({ ...bare(m), type: map(m.type) })) };
      break;
    case 'FUNC_PROTO':
      out = { ...base, type: map(t.type), params: t.params.map((p) => ({ ...bare(p), type: map(p.type) })) };
      break;
    case 'ENUM': case 'ENUM64':
      out = { ...base, values: t.values.map((v) => bare(v)) };
      break;
    case 'INT': case 'FWD': case 'FLOAT':
      out = base;
      break;
    default:
      throw elfError('link-bad-btf', `BTF kind ${t.kind} cannot be linked here`);
  }
  return out as unknown as BtfTypeInput;
}
