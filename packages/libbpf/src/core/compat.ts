import type { Btf, BtfType } from '@bpfkit/btf';
import { essentialNameLen } from '@bpfkit/btf';
import { isAnyEnum, isComposite, kflag, kindsCompat, skipMods } from './btf-util.js';
import { CoreFailure } from './failure.js';

// Each check answers true/false; a dangling id or a walk too deep is a CoreFailure
// (libbpf's negative return), which stops the relocation.

const bad = (what: string): CoreFailure => new CoreFailure('EINVAL', 'bad-type', what);

function skip(btf: Btf, id: number): { id: number; type: BtfType } {
  const r = skipMods(btf, id);
  if (r === undefined) throw bad(`type [${id}] not found`);
  return r;
}

function intBitsOffset(t: BtfType): number {
  return t.kind === 'INT' ? t.bitsOffset : 0;
}

/** True when both names are equal once flavors are dropped, or one of them is anonymous. */
function flavorlessOrAnon(a: string, b: string): boolean {
  const la = essentialNameLen(a);
  const lb = essentialNameLen(b);
  return la === 0 || lb === 0 || (la === lb && a.slice(0, la) === b.slice(0, lb));
}

/**
 * `bpf_core_fields_are_compat`: may a local field of type `localId` be relocated to a
 * target field of type `targId`? Composites always; pointers and floats always; ints
 * unless old-style bitfield ints; enums and forward declarations by flavor-less name;
 * arrays by element type.
 */
export function fieldsCompat(local: Btf, localId: number, targ: Btf, targId: number): boolean {
  for (let depth = 0; ; depth++) {
    if (depth > 32) throw bad('type nesting too deep');
    const l = skip(local, localId);
    const t = skip(targ, targId);
    if (isComposite(l.type) && isComposite(t.type)) return true;
    if (!kindsCompat(l.type, t.type)) return false;
    switch (l.type.kind) {
      case 'PTR':
      case 'FLOAT':
        return true;
      case 'FWD':
      case 'ENUM':
      case 'ENUM64':
        return flavorlessOrAnon(l.type.name, t.type.name);
      case 'INT':
        return intBitsOffset(l.type) === 0 && intBitsOffset(t.type) === 0;
      case 'ARRAY':
        if (t.type.kind !== 'ARRAY') return false;
        localId = l.type.type;
        targId = t.type.type;
        continue;
      default:
        return false;
    }
  }
}

/**
 * `bpf_core_types_are_compat` (TYPE_EXISTS, TYPE_SIZE, TYPE_ID_TARGET): same kind after
 * typedefs; composites, enums and forwards by kind alone; ints unless bitfield-like; pointers
 * and arrays by what they point to; function prototypes parameter by parameter.
 */
export function typesAreCompat(local: Btf, localId: number, targ: Btf, targId: number, level = 32): boolean {
  const l0 = local.type(localId);
  const t0 = targ.type(targId);
  if (l0 === undefined || t0 === undefined) throw bad(`type [${l0 === undefined ? localId : targId}] not found`);
  if (!kindsCompat(l0, t0)) return false;
  for (let depth = 32; ; ) {
    if (--depth < 0) throw bad('type nesting too deep');
    const l = skip(local, localId);
    const t = skip(targ, targId);
    if (!kindsCompat(l.type, t.type)) return false;
    const lt = l.type;
    const tt = t.type;
    switch (lt.kind) {
      case 'VOID':
      case 'STRUCT':
      case 'UNION':
      case 'ENUM':
      case 'ENUM64':
      case 'FWD':
        return true;
      case 'INT':
        return intBitsOffset(lt) === 0 && intBitsOffset(tt) === 0;
      case 'PTR':
        if (tt.kind !== 'PTR') return false;
        localId = lt.type;
        targId = tt.type;
        continue;
      case 'ARRAY':
        if (tt.kind !== 'ARRAY') return false;
        localId = lt.type;
        targId = tt.type;
        continue;
      case 'FUNC_PROTO': {
        if (tt.kind !== 'FUNC_PROTO' || lt.params.length !== tt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (level <= 0) throw bad('type nesting too deep');
          const lp = skip(local, lt.params[i]?.type ?? 0).id;
          const tp = skip(targ, tt.params[i]?.type ?? 0).id;
          if (!typesAreCompat(local, lp, targ, tp, level - 1)) return false;
        }
        localId = skip(local, lt.type).id;
        targId = skip(targ, tt.type).id;
        continue;
      }
      default:
        return false;
    }
  }
}

/** `bpf_core_names_match`: an anonymous target matches only an anonymous local; else flavor-less equality. */
export function namesMatch(localName: string, targName: string): boolean {
  if (targName === '') return localName === '';
  const lt = essentialNameLen(targName);
  const ll = essentialNameLen(localName);
  return lt === ll && localName.slice(0, ll) === targName.slice(0, lt);
}

function enumsMatch(l: Extract<BtfType, { kind: 'ENUM' | 'ENUM64' }>, t: Extract<BtfType, { kind: 'ENUM' | 'ENUM64' }>): boolean {
  if (l.size !== t.size || l.values.length > t.values.length) return false;
  return l.values.every((lv) => t.values.some((tv) => namesMatch(lv.name, tv.name)));
}

function compositesMatch(
  local: Btf,
  l: Extract<BtfType, { kind: 'STRUCT' | 'UNION' }>,
  targ: Btf,
  t: Extract<BtfType, { kind: 'STRUCT' | 'UNION' }>,
  behindPtr: boolean,
  level: number,
): boolean {
  if (l.members.length > t.members.length) return false;
  return l.members.every((lm) => t.members.some((tm) => namesMatch(lm.name, tm.name) && typesMatch(local, lm.type, targ, tm.type, behindPtr, level - 1)));
}

/**
 * `bpf_core_types_match` (TYPE_MATCHES, `bpf_core_type_matches()`): a stricter, structural
 * check. Names match flavor-less at every level; ints by size and signedness; enums by
 * size and every local enumerator name; composites by every local member (name and type);
 * arrays by length; behind a pointer a struct/union also matches a forward of its kind.
 */
export function typesMatch(local: Btf, localId: number, targ: Btf, targId: number, behindPtr = false, level = 32): boolean {
  if (level <= 0) throw bad('type nesting too deep');
  for (let depth = 32; ; ) {
    if (--depth < 0) throw bad('type nesting too deep');
    const l = skip(local, localId);
    const t = skip(targ, targId);
    const lt = l.type;
    const tt = t.type;
    if (!namesMatch(lt.name, tt.name)) return false;
    switch (lt.kind) {
      case 'VOID':
        return tt.kind === 'VOID';
      case 'FWD':
        if (behindPtr && tt.kind !== 'FWD') return (tt.kind === 'STRUCT' && !lt.union) || (tt.kind === 'UNION' && lt.union);
        return tt.kind === 'FWD' && lt.union === tt.union;
      case 'ENUM':
      case 'ENUM64':
        return isAnyEnum(tt) && enumsMatch(lt, tt);
      case 'STRUCT':
      case 'UNION':
        if (behindPtr) {
          if (lt.kind === tt.kind) return true;
          return tt.kind === 'FWD' && (lt.kind === 'UNION') === kflag(tt);
        }
        return lt.kind === tt.kind && isComposite(tt) && compositesMatch(local, lt, targ, tt, behindPtr, level);
      case 'INT':
        return tt.kind === 'INT' && lt.size === tt.size && (lt.encoding & 1) === (tt.encoding & 1);
      case 'PTR':
        if (tt.kind !== 'PTR') return false;
        behindPtr = true;
        localId = lt.type;
        targId = tt.type;
        continue;
      case 'ARRAY':
        if (tt.kind !== 'ARRAY' || lt.nelems !== tt.nelems) return false;
        localId = lt.type;
        targId = tt.type;
        continue;
      case 'FUNC_PROTO':
        if (tt.kind !== 'FUNC_PROTO' || lt.params.length !== tt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (!typesMatch(local, lt.params[i]?.type ?? 0, targ, tt.params[i]?.type ?? 0, behindPtr, level - 1)) return false;
        }
        localId = lt.type;
        targId = tt.type;
        continue;
      default:
        return false;
    }
  }
}
