interface BtfTypeBase {
  /** The type id (0 is void; split BTF continues after its base). */
  readonly id: number;
  /** The name (`''` when anonymous). */
  readonly name: string;
  /** The name's offset in the string section (`name_off`). */
  readonly nameOff: number;
}

/** Type id 0. */
export interface BtfVoid extends BtfTypeBase {
  readonly kind: 'VOID';
}

/** `BTF_KIND_INT`: size in bytes plus the `int_data` word (encoding, bit offset, bit count). */
export interface BtfInt extends BtfTypeBase {
  readonly kind: 'INT';
  readonly size: number;
  /** `BTF_INT_ENCODING`: 0 or one of {@link BtfIntEncoding}. */
  readonly encoding: number;
  /** `BTF_INT_OFFSET`. */
  readonly bitsOffset: number;
  /** `BTF_INT_BITS`. */
  readonly bits: number;
}

export interface BtfPtr extends BtfTypeBase {
  readonly kind: 'PTR';
  readonly type: number;
}

/** The kinds that only qualify another type (the kernel's "modifiers", typedef included). */
export interface BtfModifier extends BtfTypeBase {
  readonly kind: 'TYPEDEF' | 'VOLATILE' | 'CONST' | 'RESTRICT' | 'TYPE_TAG';
  readonly type: number;
  /** Only TYPE_TAG may set it (an `__attribute__` tag rather than a `btf_type_tag`). */
  readonly kflag: boolean;
}

export interface BtfArray extends BtfTypeBase {
  readonly kind: 'ARRAY';
  readonly type: number;
  readonly indexType: number;
  readonly nelems: number;
}

/** A STRUCT/UNION member (`struct btf_member`). */
export interface BtfMember {
  readonly name: string;
  readonly nameOff: number;
  readonly type: number;
  /** Bit offset from the start of the struct. */
  readonly bitsOffset: number;
  /** Bitfield size; only with `kflag` set, else 0. */
  readonly bitfieldSize: number;
}

export interface BtfComposite extends BtfTypeBase {
  readonly kind: 'STRUCT' | 'UNION';
  readonly size: number;
  /** Members carry bitfield sizes (`kind_flag`). */
  readonly kflag: boolean;
  readonly members: readonly BtfMember[];
}

export interface BtfEnumValue {
  readonly name: string;
  readonly nameOff: number;
  /** ENUM: a u32 (or s32 when the enum is signed); ENUM64: see {@link BtfEnum64Value}. */
  readonly value: number;
}

export interface BtfEnum extends BtfTypeBase {
  readonly kind: 'ENUM';
  readonly size: number;
  /** `kind_flag`: values are signed. */
  readonly signed: boolean;
  readonly values: readonly BtfEnumValue[];
}

export interface BtfEnum64Value {
  readonly name: string;
  readonly nameOff: number;
  /** Unsigned 64-bit, or signed when the enum is signed. */
  readonly value: bigint;
}

export interface BtfEnum64 extends BtfTypeBase {
  readonly kind: 'ENUM64';
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly BtfEnum64Value[];
}

export interface BtfFwd extends BtfTypeBase {
  readonly kind: 'FWD';
  /** `kind_flag`: a union forward declaration. */
  readonly union: boolean;
}

export interface BtfFunc extends BtfTypeBase {
  readonly kind: 'FUNC';
  /** The FUNC_PROTO. */
  readonly type: number;
  /** {@link BtfFuncLinkage}, stored in vlen. */
  readonly linkage: number;
}

/** A FUNC_PROTO parameter; a last one with type 0 and no name is `...`. */
export interface BtfParam {
  readonly name: string;
  readonly nameOff: number;
  readonly type: number;
}

export interface BtfFuncProto extends BtfTypeBase {
  readonly kind: 'FUNC_PROTO';
  /** Return type (0 = void). */
  readonly type: number;
  readonly params: readonly BtfParam[];
}

export interface BtfVar extends BtfTypeBase {
  readonly kind: 'VAR';
  readonly type: number;
  /** {@link BtfVarLinkage}. */
  readonly linkage: number;
}

/** `struct btf_var_secinfo`. */
export interface BtfVarSecinfo {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

export interface BtfDatasec extends BtfTypeBase {
  readonly kind: 'DATASEC';
  readonly size: number;
  readonly vars: readonly BtfVarSecinfo[];
}

export interface BtfFloat extends BtfTypeBase {
  readonly kind: 'FLOAT';
  readonly size: number;
}

export interface BtfDeclTag extends BtfTypeBase {
  readonly kind: 'DECL_TAG';
  readonly type: number;
  /** -1 for the type itself, else a member or parameter index. */
  readonly componentIdx: number;
  readonly kflag: boolean;
}

/** One BTF type, discriminated by `kind`. */
export type BtfType =
  | BtfVoid
  | BtfInt
  | BtfPtr
  | BtfModifier
  | BtfArray
  | BtfComposite
  | BtfEnum
  | BtfEnum64
  | BtfFwd
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;

type Input<T> = Omit<T, 'id' | 'nameOff'> & { readonly nameOff?: number; readonly id?: number };
type Entry<T> = Omit<T, 'nameOff'> & { readonly nameOff?: number };

/**
 * A type as given to {@link BtfBuilder}: like {@link BtfType} without `id`, and `nameOff`
 * optional everywhere (the builder adds the name to the string section when absent).
 */
export type BtfTypeInput =
  | Input<BtfInt>
  | Input<BtfPtr>
  | Input<BtfModifier>
  | Input<BtfArray>
  | (Input<Omit<BtfComposite, 'members'>> & { readonly members: readonly Entry<BtfMember>[] })
  | (Input<Omit<BtfEnum, 'values'>> & { readonly values: readonly Entry<BtfEnumValue>[] })
  | (Input<Omit<BtfEnum64, 'values'>> & { readonly values: readonly Entry<BtfEnum64Value>[] })
  | Input<BtfFwd>
  | Input<BtfFunc>
  | (Input<Omit<BtfFuncProto, 'params'>> & { readonly params: readonly Entry<BtfParam>[] })
  | Input<BtfVar>
  | Input<BtfDatasec>
  | Input<BtfFloat>
  | Input<BtfDeclTag>;
