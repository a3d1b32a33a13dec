import { ATTR_LAYOUTS } from './layout.generated.js';

/** A command group of `union bpf_attr` (`map_create`, `map_elem`, `prog_load`, `test`, …). */
export type AttrGroup = keyof typeof ATTR_LAYOUTS;

/** The C type of an attr field: fixed-width integers, or `char[length]`. */
export type AttrFieldType = 'u8' | 'u16' | 'u32' | 's32' | 'u64' | 's64' | 'char';

/** One leaf field of `union bpf_attr`; `offset` is from the start of the union. */
export interface AttrField {
  readonly name: string;
  readonly offset: number;
  readonly type: AttrFieldType;
  /** Bytes of a `char` array. */
  readonly length?: number;
}

/** The struct of one command group: its `sizeof` and its leaf fields in declaration order. */
export interface AttrLayout {
  readonly size: number;
  readonly fields: readonly AttrField[];
}

type FieldOf<G extends AttrGroup> = (typeof ATTR_LAYOUTS)[G]['fields'][number];

/** What an encoder takes for a field: bigint for 64-bit fields, string or bytes for char arrays, else number. */
export type AttrInputValue<F> = F extends { type: 'u64' | 's64' }
  ? bigint
  : F extends { type: 'char' }
    ? string | Uint8Array
    : number;

/** What a decoder returns for a field: bigint for 64-bit fields, the raw bytes of char arrays, else number. */
export type AttrOutputValue<F> = F extends { type: 'u64' | 's64' }
  ? bigint
  : F extends { type: 'char' }
    ? Uint8Array
    : number;

/** The fields an encoder accepts for a group, all optional (absent means zero). */
export type AttrInput<G extends AttrGroup> = {
  [F in FieldOf<G> as F['name']]?: AttrInputValue<F>;
};

/** Every field of a group as decoded (aliases of one union all present, with the same bytes). */
export type AttrOutput<G extends AttrGroup> = {
  -readonly [F in FieldOf<G> as F['name']]: AttrOutputValue<F>;
};

/** The field names of a group. */
export type AttrFieldName<G extends AttrGroup> = FieldOf<G>['name'];

/** The layout of a command group. @example attrGroupLayout('token_create').size; // 8 */
export function attrGroupLayout(group: AttrGroup): AttrLayout {
  return ATTR_LAYOUTS[group];
}

/** A field of a group by name, or undefined. @example attrField('map_create', 'map_token_fd')?.offset; // 76 */
export function attrField(group: AttrGroup, name: string): AttrField | undefined {
  return attrGroupLayout(group).fields.find((f) => f.name === name);
}

/** Bytes a field occupies. */
export function attrFieldSize(field: AttrField): number {
  switch (field.type) {
    case 'u8':
      return 1;
    case 'u16':
      return 2;
    case 'u32':
    case 's32':
      return 4;
    case 'u64':
    case 's64':
      return 8;
    case 'char':
      return field.length ?? 0;
  }
}
