/** BTF kinds by name, with the kernel's numbers (`BTF_KIND_*` in `<linux/btf.h>`). */
export const BtfKind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

/** A BTF kind name as the kernel's verifier log spells it (`STRUCT`, `FUNC_PROTO`…). */
export type BtfKindName = Exclude<keyof typeof BtfKind, 'UNKN'>;

/** The highest kind number the kernel knows (`BTF_KIND_MAX`). */
export const BTF_KIND_MAX = 19;

/** Kind names by number, as the kernel's `btf_kind_str[]` (index 0 is `UNKNOWN`). */
export const BTF_KIND_NAMES: readonly string[] = [
  'UNKNOWN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE',
  'CONST', 'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64',
];

/** `BTF_MAGIC`: the first two bytes of every BTF blob (little-endian `9f eb`). */
export const BTF_MAGIC = 0xeb9f;
/** `BTF_VERSION`. */
export const BTF_VERSION = 1;
/** The largest type id (`BTF_MAX_TYPE`). */
export const BTF_MAX_TYPE = 0x000fffff;
/** The largest string offset (`BTF_MAX_NAME_OFFSET`). */
export const BTF_MAX_NAME_OFFSET = 0x00ffffff;
/** The largest vlen (`BTF_MAX_VLEN`). */
export const BTF_MAX_VLEN = 0xffff;
/** The largest blob `BPF_BTF_LOAD` accepts (`BTF_MAX_SIZE`, 16 MiB); larger gives E2BIG. */
export const BTF_MAX_SIZE = 16 * 1024 * 1024;
/** Size of `struct btf_header`. */
export const BTF_HEADER_SIZE = 24;

/** `BTF_INT_*` encoding bits of an INT. */
export const BtfIntEncoding = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

/** FUNC linkage, stored in the FUNC's vlen (`enum btf_func_linkage`). */
export const BtfFuncLinkage = { STATIC: 0, GLOBAL: 1, EXTERN: 2 } as const;

/** VAR linkage (`BTF_VAR_STATIC`, `BTF_VAR_GLOBAL_ALLOCATED`, `BTF_VAR_GLOBAL_EXTERN`). */
export const BtfVarLinkage = { STATIC: 0, GLOBAL_ALLOCATED: 1, GLOBAL_EXTERN: 2 } as const;

/** The kind number of a kind name. */
export function kindNumber(kind: BtfKindName | 'VOID'): number {
  return kind === 'VOID' ? 0 : BtfKind[kind];
}
