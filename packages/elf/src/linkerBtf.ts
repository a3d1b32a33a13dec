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
 * Whether two declarations of one global (an extern and its definition, or two externs)
 * describe the same type, compared by structure as libbpf's linker does: kinds, names,
 * sizes, member layout and prototypes must agree; typedefs and qualifiers are looked
 * through, and a forward declaration matches a struct or union of its name.
 */
export function sameType(b1: Btf, id1: number, b2: Btf, id2: number): boolean {
  const seen = new Set<string>();
  let budget = 1 << 16;
  const walk = (a: number, b: number): boolean => {
    if (--budget < 0) return false;
    const x = peel(b1, a);
    const y = peel(b2, b);
    const key = `${String(x.id)}:${String(y.id)}`;
    if (seen.has(key)) return true;
    seen.add(key);
    const t1 = x.t, t2 = y.t;
    if (t1 === undefined || t2 === undefined) return false;
    if ((t1.kind === 'FWD') !== (t2.kind === 'FWD')) {
      const other = t1.kind === 'FWD' ? t2 : t1;
      return t1.name === t2.name && (other.kind === 'STRUCT' || other.kind === 'UNION');
    }
    if (t1.kind !== t2.kind || t1.name !== t2.name) return false;
    switch (t1.kind) {
      case 'VOID': return true;
      case 'INT': return t2.kind === 'INT' && t1.size === t2.size && t1.encoding === t2.encoding && t1.bits === t2.bits && t1.bitsOffset === t2.bitsOffset;
      case 'FLOAT': case 'ENUM': case 'ENUM64': return 'size' in t2 && t1.size === t2.size;
      case 'FWD': return t2.kind === 'FWD' && t1.union === t2.union;
      case 'PTR': return t2.kind === 'PTR' && walk(t1.type, t2.type);
      case 'ARRAY': return t2.kind === 'ARRAY' && t1.nelems === t2.nelems && walk(t1.type, t2.type);
      case 'STRUCT': case 'UNION':
        return (t2.kind === 'STRUCT' || t2.kind === 'UNION') && t1.size === t2.size && t1.members.length === t2.members.length &&
          t1.members.every((m, i) => {
            const n = t2.members[i];
            return n !== undefined && m.name === n.name && m.bitsOffset === n.bitsOffset && m.bitfieldSize === n.bitfieldSize && walk(m.type, n.type);
          });
      case 'FUNC_PROTO':
        return t2.kind === 'FUNC_PROTO' && t1.params.length === t2.params.length && walk(t1.type, t2.type) &&
          t1.params.every((p, i) => { const q = t2.params[i]; return q !== undefined && walk(p.type, q.type); });
      case 'FUNC': case 'VAR': return (t2.kind === 'FUNC' || t2.kind === 'VAR') && walk(t1.type, t2.type);
      default: return false;
    }
  };
  return walk(id1, id2);
}

function mapShape(m: MapSpec): string {
  return JSON.stringify([m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.numaNode, m.mapExtra, m.pinning, m.valuesAreProgs, m.inner === undefined ? null : mapShape(m.inner)]);
}

/** Two `.maps` declarations of one name (an extern and its definition) must declare the same map. */
export function sameMap(name: string, b1: Btf, var1: number, b2: Btf, var2: number): boolean {
  const v1 = b1.type(var1), v2 = b2.type(var2);
  if (v1?.kind !== 'VAR' || v2?.kind !== 'VAR') return false;
  return mapShape(parseMapDef(b1, name, v1.type, false)) === mapShape(parseMapDef(b2, name, v2.type, false));
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
