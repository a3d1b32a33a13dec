import { isAnyEnum, isComposite, resolveSize, skipMods, typeLabel } from './btf-util.js';
import { CoreFailure } from './failure.js';
import { CoreReloKind, coreReloKindName, isEnumvalKind, isFieldKind, isTypeKind } from './kinds.js';
import type { CoreSpec } from './spec.js';

/** `struct bpf_core_relo_res`: what one relocation resolved to. */
export interface CoreReloRes {
  /** The value the compiler put in the instruction (from the local BTF). */
  readonly origVal: bigint;
  /** The value for the target kernel. */
  readonly newVal: bigint;
  /** The instruction must be replaced by the poison call. */
  readonly poison: boolean;
  /** Check that the instruction holds `origVal` before patching. */
  readonly validate: boolean;
  /** A load/store of this field may not change its size (signed or mismatched types). */
  readonly failMemszAdjust: boolean;
  readonly origSz: number;
  readonly newSz: number;
}

interface FieldVal {
  val: bigint;
  size: number;
  typeId: number;
  validate: boolean;
}

/** Marks "poison the instruction" (libbpf's -EUCLEAN). */
const POISON = Symbol('poison');

function elementSize(spec: CoreSpec, id: number): number {
  let cur = skipMods(spec.btf, id);
  while (cur?.type.kind === 'ARRAY') cur = skipMods(spec.btf, cur.type.type);
  const size = cur === undefined ? undefined : resolveSize(spec.btf, cur.id);
  if (size === undefined) throw new CoreFailure('EINVAL', 'bad-type', `${typeLabel(spec.btf, id)} has no size`);
  return size;
}

function fieldVal(kind: number, spec: CoreSpec | undefined, insn: number): FieldVal | typeof POISON {
  if (kind === CoreReloKind.FIELD_EXISTS) return { val: spec === undefined ? 0n : 1n, size: 0, typeId: 0, validate: true };
  if (spec === undefined) return POISON;
  const acc = spec.accessors[spec.accessors.length - 1];
  if (acc === undefined) throw new CoreFailure('EINVAL', 'bad-spec', 'empty field access');
  if (acc.name === undefined) {
    if (kind === CoreReloKind.FIELD_BYTE_OFFSET) {
      return { val: BigInt(Math.floor(spec.bitOffset / 8)), size: elementSize(spec, acc.typeId), typeId: acc.typeId, validate: true };
    }
    if (kind === CoreReloKind.FIELD_BYTE_SIZE) {
      const size = resolveSize(spec.btf, acc.typeId);
      if (size === undefined) throw new CoreFailure('EINVAL', 'bad-type', `${typeLabel(spec.btf, acc.typeId)} has no size`);
      return { val: BigInt(size), size: 0, typeId: 0, validate: true };
    }
    throw new CoreFailure('EINVAL', 'array-access', `relo ${kind} at insn #${insn} can't be applied to array access`);
  }
  const parent = spec.btf.type(acc.typeId);
  const member = parent !== undefined && isComposite(parent) ? parent.members[acc.idx] : undefined;
  if (member === undefined) throw new CoreFailure('EINVAL', 'bad-spec', `member #${acc.idx} of [${acc.typeId}] not found`);
  const mt = skipMods(spec.btf, member.type);
  if (mt === undefined) throw new CoreFailure('EINVAL', 'bad-type', `type [${member.type}] not found`);
  const bitOff = spec.bitOffset;
  let bitSz = member.bitfieldSize;
  const bitfield = bitSz > 0;
  let byteSz: number;
  let byteOff: number;
  if (bitfield) {
    byteSz = 'size' in mt.type ? mt.type.size : 0;
    if (byteSz === 0) throw new CoreFailure('EINVAL', 'bad-type', `bitfield ${member.name} has an unsized type`);
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) throw new CoreFailure('E2BIG', 'bitfield', `relo ${kind} at insn #${insn} can't be satisfied for bitfield`);
      byteSz *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    }
  } else {
    const size = resolveSize(spec.btf, mt.id);
    if (size === undefined) throw new CoreFailure('EINVAL', 'bad-type', `${typeLabel(spec.btf, mt.id)} has no size`);
    byteSz = size;
    byteOff = Math.floor(bitOff / 8);
    bitSz = byteSz * 8;
  }
  const out: FieldVal = { val: 0n, size: 0, typeId: 0, validate: !bitfield };
  switch (kind) {
    case CoreReloKind.FIELD_BYTE_OFFSET:
      out.val = BigInt(byteOff);
      if (!bitfield) {
        out.size = elementSize(spec, mt.id);
        out.typeId = mt.id;
      }
      return out;
    case CoreReloKind.FIELD_BYTE_SIZE:
      out.val = BigInt(byteSz);
      return out;
    case CoreReloKind.FIELD_SIGNED: {
      const t = mt.type;
      out.val = (isAnyEnum(t) && t.signed) || (t.kind === 'INT' && (t.encoding & 1) !== 0) ? 1n : 0n;
      out.validate = true;
      return out;
    }
    case CoreReloKind.FIELD_LSHIFT_U64:
      // Little-endian: the bits above the field are shifted out.
      out.val = BigInt(64 - (bitOff + bitSz - byteOff * 8));
      return out;
    case CoreReloKind.FIELD_RSHIFT_U64:
      out.val = BigInt(64 - bitSz);
      out.validate = true;
      return out;
    default:
      throw unsupported(kind, insn);
  }
}

function unsupported(kind: number, insn: number): CoreFailure {
  return new CoreFailure('EOPNOTSUPP', 'unknown-kind', `unrecognized CO-RE relocation ${coreReloKindName(kind)} (${kind}) at insn #${insn}`);
}

function typeVal(kind: number, spec: CoreSpec | undefined): bigint {
  if (spec === undefined) return 0n;
  switch (kind) {
    case CoreReloKind.TYPE_ID_TARGET:
      return BigInt(spec.rootTypeId);
    case CoreReloKind.TYPE_EXISTS:
    case CoreReloKind.TYPE_MATCHES:
      return 1n;
    case CoreReloKind.TYPE_SIZE: {
      const size = resolveSize(spec.btf, spec.rootTypeId);
      if (size === undefined) throw new CoreFailure('EINVAL', 'bad-type', `${typeLabel(spec.btf, spec.rootTypeId)} has no size`);
      return BigInt(size);
    }
    default:
      throw new CoreFailure('EOPNOTSUPP', 'unknown-kind', `unrecognized CO-RE relocation ${coreReloKindName(kind)} (${kind})`);
  }
}

function enumVal(kind: number, spec: CoreSpec | undefined): bigint | typeof POISON {
  if (kind === CoreReloKind.ENUMVAL_EXISTS) return spec === undefined ? 0n : 1n;
  if (spec === undefined) return POISON;
  const acc = spec.accessors[0];
  const t = acc === undefined ? undefined : spec.btf.type(acc.typeId);
  if (acc === undefined || t === undefined || !isAnyEnum(t)) throw new CoreFailure('EINVAL', 'bad-spec', 'enumerator relocation without an enum');
  const v = t.values[acc.idx];
  if (v === undefined) throw new CoreFailure('EINVAL', 'bad-spec', `enumerator #${acc.idx} not found`);
  // A 32-bit enumerator is an s32 in BTF; libbpf widens it with its sign.
  return typeof v.value === 'bigint' ? BigInt.asUintN(64, v.value) : BigInt.asUintN(64, BigInt(v.value | 0));
}

const POISONED: CoreReloRes = { origVal: 0n, newVal: 0n, poison: true, validate: true, failMemszAdjust: false, origSz: 0, newSz: 0 };

/**
 * `bpf_core_calc_relo`: the original and new values of one relocation for one candidate
 * (`targ` undefined when none matched). Throws {@link CoreFailure} when it cannot be
 * computed; a missing field or enumerator yields `poison`.
 */
export function calcRelo(kind: number, local: CoreSpec, targ: CoreSpec | undefined, insn: number): CoreReloRes {
  if (isFieldKind(kind)) {
    const o = fieldVal(kind, local, insn);
    if (o === POISON) return POISONED;
    const n = fieldVal(kind, targ, insn);
    if (n === POISON) return { ...POISONED, origVal: o.val };
    let failMemszAdjust = false;
    if (o.size !== n.size && targ !== undefined) {
      const ot = local.btf.type(o.typeId);
      const nt = targ.btf.type(n.typeId);
      const bothPtr = ot?.kind === 'PTR' && nt?.kind === 'PTR';
      const bothUnsigned = ot?.kind === 'INT' && nt?.kind === 'INT' && ot.encoding !== 1 && nt.encoding !== 1;
      failMemszAdjust = !bothPtr && !bothUnsigned;
    }
    return { origVal: o.val, newVal: n.val, poison: false, validate: o.validate, failMemszAdjust, origSz: o.size, newSz: n.size };
  }
  if (isTypeKind(kind)) {
    const validate = kind !== CoreReloKind.TYPE_ID_TARGET;
    return { origVal: typeVal(kind, local), newVal: typeVal(kind, targ), poison: false, validate, failMemszAdjust: false, origSz: 0, newSz: 0 };
  }
  if (isEnumvalKind(kind)) {
    const o = enumVal(kind, local);
    const n = enumVal(kind, targ);
    if (o === POISON || n === POISON) return { ...POISONED, origVal: o === POISON ? 0n : o };
    return { origVal: o, newVal: n, poison: false, validate: true, failMemszAdjust: false, origSz: 0, newSz: 0 };
  }
  throw unsupported(kind, insn);
}
