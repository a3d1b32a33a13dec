import {
  BpfAttachTypeEnumerators,
  BpfCmdEnumerators,
  BpfLinkTypeEnumerators,
  BpfMapTypeEnumerators,
  BpfProgTypeEnumerators,
} from './enums.generated.js';

type Enumerators = readonly (readonly [string, number])[];

/** The enumerators of a table as a constant object, without the `__MAX_*` sentinel. */
export type EnumObject<T extends Enumerators> = {
  readonly [E in T[number] as E[0] extends `__${string}` ? never : E[0]]: E[1];
};

/**
 * One kernel enum as BTF lists it, with the prefix its short names drop
 * (`BPF_MAP_TYPE_HASH` → `hash`, the spelling of bpffs `delegate_*` options).
 */
export interface BpfEnumTable {
  /** The C enum name, e.g. `bpf_map_type`. */
  readonly enumName: string;
  /** The prefix the short names drop, e.g. `BPF_MAP_TYPE_`. */
  readonly prefix: string;
  /** Every enumerator in BTF order, aliases and the `__MAX_*` sentinel included. */
  readonly enumerators: Enumerators;
  /** The `__MAX_*` value (one past the last real value). */
  readonly max: number;
}

function table(enumName: string, prefix: string, enumerators: Enumerators): BpfEnumTable {
  const sentinel = enumerators.find(([name]) => name.startsWith('__MAX_'));
  const max = sentinel?.[1] ?? Math.max(...enumerators.map(([, v]) => v)) + 1;
  return { enumName, prefix, enumerators, max };
}

function object<T extends Enumerators>(enumerators: T): EnumObject<T> {
  return Object.freeze(
    Object.fromEntries(enumerators.filter(([name]) => !name.startsWith('__'))),
  ) as EnumObject<T>;
}

/** `enum bpf_cmd`. */
export const bpfCmdTable = table('bpf_cmd', 'BPF_', BpfCmdEnumerators);
/** `enum bpf_map_type`. */
export const bpfMapTypeTable = table('bpf_map_type', 'BPF_MAP_TYPE_', BpfMapTypeEnumerators);
/** `enum bpf_prog_type`. */
export const bpfProgTypeTable = table('bpf_prog_type', 'BPF_PROG_TYPE_', BpfProgTypeEnumerators);
/** `enum bpf_attach_type`. */
export const bpfAttachTypeTable = table('bpf_attach_type', 'BPF_', BpfAttachTypeEnumerators);
/** `enum bpf_link_type`. */
export const bpfLinkTypeTable = table('bpf_link_type', 'BPF_LINK_TYPE_', BpfLinkTypeEnumerators);

/**
 * `enum bpf_cmd` as constants (aliases included).
 *
 * @example
 * BpfCmd.BPF_TOKEN_CREATE; // 36
 */
export const BpfCmd = object(BpfCmdEnumerators);
/** `enum bpf_map_type` as constants. @example BpfMapType.BPF_MAP_TYPE_HASH; // 1 */
export const BpfMapType = object(BpfMapTypeEnumerators);
/** `enum bpf_prog_type` as constants. @example BpfProgType.BPF_PROG_TYPE_XDP; // 6 */
export const BpfProgType = object(BpfProgTypeEnumerators);
/** `enum bpf_attach_type` as constants. @example BpfAttachType.BPF_XDP; // 37 */
export const BpfAttachType = object(BpfAttachTypeEnumerators);
/** `enum bpf_link_type` as constants. @example BpfLinkType.BPF_LINK_TYPE_XDP; // 6 */
export const BpfLinkType = object(BpfLinkTypeEnumerators);

/** A value of `enum bpf_cmd`. */
export type BpfCmdValue = (typeof BpfCmd)[keyof typeof BpfCmd];

/** `__MAX_BPF_CMD`: one past the last command. */
export const MAX_BPF_CMD = bpfCmdTable.max;
/** `__MAX_BPF_MAP_TYPE`. */
export const MAX_BPF_MAP_TYPE = bpfMapTypeTable.max;
/** `__MAX_BPF_PROG_TYPE`. */
export const MAX_BPF_PROG_TYPE = bpfProgTypeTable.max;
/** `__MAX_BPF_ATTACH_TYPE`. */
export const MAX_BPF_ATTACH_TYPE = bpfAttachTypeTable.max;
/** `__MAX_BPF_LINK_TYPE`. */
export const MAX_BPF_LINK_TYPE = bpfLinkTypeTable.max;

const namesByTable = new WeakMap<BpfEnumTable, Map<number, string>>();
const valuesByTable = new WeakMap<BpfEnumTable, Map<string, number>>();

function indexes(t: BpfEnumTable): { names: Map<number, string>; values: Map<string, number> } {
  let names = namesByTable.get(t);
  let values = valuesByTable.get(t);
  if (names === undefined || values === undefined) {
    names = new Map();
    values = new Map();
    for (const [name, value] of t.enumerators) {
      if (name.startsWith('__')) continue;
      // BTF order decides which alias names a value: the kernel prints the first one.
      if (!names.has(value)) names.set(value, name);
      values.set(name.toUpperCase(), value);
    }
    namesByTable.set(t, names);
    valuesByTable.set(t, values);
  }
  return { names, values };
}

/**
 * The first enumerator in BTF order with this value (`__MAX_*` excluded).
 *
 * @example
 * enumName(bpfCmdTable, 10); // 'BPF_PROG_TEST_RUN' (not its alias BPF_PROG_RUN)
 */
export function enumName(t: BpfEnumTable, value: number): string | undefined {
  return indexes(t).names.get(value);
}

/**
 * The enumerator name without the table's prefix, lower-case, as bpffs prints it.
 *
 * @example
 * enumShortName(bpfMapTypeTable, 19); // 'cgroup_storage_deprecated'
 */
export function enumShortName(t: BpfEnumTable, value: number): string | undefined {
  const name = enumName(t, value);
  return name?.slice(t.prefix.length).toLowerCase();
}

/**
 * Parses an enumerator name: case-insensitive, prefix optional, aliases accepted.
 *
 * @example
 * enumValue(bpfMapTypeTable, 'hash'); // 1
 * enumValue(bpfCmdTable, 'prog_run'); // 10
 */
export function enumValue(t: BpfEnumTable, name: string): number | undefined {
  const { values } = indexes(t);
  const upper = name.toUpperCase();
  if (upper.startsWith('__')) return undefined;
  return values.get(upper) ?? values.get(t.prefix + upper);
}

/** @example cmdName(10); // 'BPF_PROG_TEST_RUN' */
export function cmdName(cmd: number): string | undefined {
  return enumName(bpfCmdTable, cmd);
}
/** @example mapTypeName(1); // 'BPF_MAP_TYPE_HASH' */
export function mapTypeName(type: number): string | undefined {
  return enumName(bpfMapTypeTable, type);
}
/** @example progTypeName(6); // 'BPF_PROG_TYPE_XDP' */
export function progTypeName(type: number): string | undefined {
  return enumName(bpfProgTypeTable, type);
}
/** @example attachTypeName(37); // 'BPF_XDP' */
export function attachTypeName(type: number): string | undefined {
  return enumName(bpfAttachTypeTable, type);
}
/** @example linkTypeName(6); // 'BPF_LINK_TYPE_XDP' */
export function linkTypeName(type: number): string | undefined {
  return enumName(bpfLinkTypeTable, type);
}

/** @example cmdByName('token_create'); // 36 */
export function cmdByName(name: string): number | undefined {
  return enumValue(bpfCmdTable, name);
}
/** @example mapTypeByName('BPF_MAP_TYPE_HASH'); // 1 */
export function mapTypeByName(name: string): number | undefined {
  return enumValue(bpfMapTypeTable, name);
}
/** @example progTypeByName('socket_filter'); // 1 */
export function progTypeByName(name: string): number | undefined {
  return enumValue(bpfProgTypeTable, name);
}
/** @example attachTypeByName('cgroup_inet_ingress'); // 0 */
export function attachTypeByName(name: string): number | undefined {
  return enumValue(bpfAttachTypeTable, name);
}
/** @example linkTypeByName('xdp'); // 6 */
export function linkTypeByName(name: string): number | undefined {
  return enumValue(bpfLinkTypeTable, name);
}
