/**
 * `enum bpf_core_relo_kind`: what a CO-RE relocation asks for.
 *
 * @example
 * relo.kind === CoreReloKind.FIELD_BYTE_OFFSET; // BPF_CORE_READ(t, pid)
 */
export const CoreReloKind = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;

/** One of the {@link CoreReloKind} values. @example const k: CoreReloKindValue = CoreReloKind.TYPE_SIZE; */
export type CoreReloKindValue = (typeof CoreReloKind)[keyof typeof CoreReloKind];

const NAMES: readonly string[] = [
  'byte_off',
  'byte_sz',
  'field_exists',
  'signed',
  'lshift_u64',
  'rshift_u64',
  'local_type_id',
  'target_type_id',
  'type_exists',
  'type_size',
  'enumval_exists',
  'enumval_value',
  'type_matches',
];

/**
 * libbpf's short name of a relocation kind, as its log prints it (`byte_off`, `type_size`…);
 * `unknown` outside the enum.
 *
 * @example
 * coreReloKindName(CoreReloKind.FIELD_EXISTS); // 'field_exists'
 */
export function coreReloKindName(kind: number): string {
  return NAMES[kind] ?? 'unknown';
}

/** Field-based kinds: the access string walks members and array elements. */
export function isFieldKind(kind: number): boolean {
  return kind >= CoreReloKind.FIELD_BYTE_OFFSET && kind <= CoreReloKind.FIELD_RSHIFT_U64;
}

/** Type-based kinds: the access string must be `0`. */
export function isTypeKind(kind: number): boolean {
  return (kind >= CoreReloKind.TYPE_ID_LOCAL && kind <= CoreReloKind.TYPE_SIZE) || kind === CoreReloKind.TYPE_MATCHES;
}

/** Enumerator-based kinds: the access string is one enumerator index. */
export function isEnumvalKind(kind: number): boolean {
  return kind === CoreReloKind.ENUMVAL_EXISTS || kind === CoreReloKind.ENUMVAL_VALUE;
}
