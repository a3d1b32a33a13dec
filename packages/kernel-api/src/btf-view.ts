/**
 * A read-only view of parsed BTF, as the kernel consults it after `BPF_BTF_LOAD`
 * (map value layouts, `func_info`, attach targets). It is the subset of
 * `@bpfkit/btf`'s `Btf` the kernel needs, so a parsed `Btf` is one.
 */

/** A struct/union member. */
export interface BtfMemberView {
  readonly name: string;
  readonly type: number;
  /** Bit offset from the start of the struct. */
  readonly bitsOffset: number;
  /** Bitfield size (kflag structs), else 0. */
  readonly bitfieldSize: number;
}

/** A FUNC_PROTO parameter. */
export interface BtfParamView {
  readonly name: string;
  readonly type: number;
}

/** A DATASEC entry (`struct btf_var_secinfo`). */
export interface BtfVarSecinfoView {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

/**
 * One type. `kind` is the kernel's kind name (`INT`, `STRUCT`, `FUNC_PROTO`…, `VOID` for id 0);
 * the other fields exist on the kinds that have them.
 */
export interface BtfTypeView {
  readonly id: number;
  readonly kind: string;
  readonly name: string;
  /** The referenced type (PTR, modifiers, ARRAY element, FUNC's proto, VAR, DECL_TAG target, return type). */
  readonly type?: number;
  /** Byte size of INT, STRUCT, UNION, ENUM, ENUM64, DATASEC, FLOAT. */
  readonly size?: number;
  /** INT: `BTF_INT_ENCODING`, `BTF_INT_OFFSET`, `BTF_INT_BITS`. */
  readonly encoding?: number;
  readonly bitsOffset?: number;
  readonly bits?: number;
  /** ARRAY. */
  readonly nelems?: number;
  /** STRUCT/UNION (kflag: members carry bitfield sizes; TYPE_TAG: an attribute tag). */
  readonly kflag?: boolean;
  readonly members?: readonly BtfMemberView[];
  /** FUNC_PROTO. */
  readonly params?: readonly BtfParamView[];
  /** FUNC linkage (static, global, extern). */
  readonly linkage?: number;
  /** DATASEC. */
  readonly vars?: readonly BtfVarSecinfoView[];
  /** DECL_TAG: -1 for the type itself, else a member or parameter index. */
  readonly componentIdx?: number;
}

/**
 * Parsed BTF as the kernel keeps it (`struct btf`).
 *
 * @example
 * const t = btf.typeIdSize(valueTypeId); // btf_type_id_size
 * if (t === undefined || t.size !== valueSize) throw new BpfError('EINVAL', 'map:btf-value-size', '…');
 */
export interface BtfView {
  /** `btf_nr_types`: type ids are 0 (void) .. nrTypes - 1. */
  readonly nrTypes: number;
  /** `btf_type_by_id`; undefined past the end. */
  type(id: number): BtfTypeView | undefined;
  /** `btf_kind(btf_type_by_id())` without building the type (`VOID` for id 0); undefined past the end. */
  kind(id: number): string | undefined;
  /** `btf_type_id_size`: the sized type an id stands for (through modifiers), or undefined. */
  typeIdSize(id: number): { readonly id: number; readonly type: BtfTypeView; readonly size: number } | undefined;
  /** `btf_type_skip_modifiers`. */
  resolve(id: number): { readonly id: number; readonly type: BtfTypeView } | undefined;
  /** `btf_name_by_offset`: the string at a string-section offset, undefined out of range. */
  str(offset: number): string | undefined;
  /** Every id with this name (and kind name), in id order (`btf_find_by_name_kind` takes the first). */
  findAll(name: string, kind?: string): number[];
}
