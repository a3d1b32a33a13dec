import { bpfAttachTypeTable, bpfMapTypeTable, bpfProgTypeTable, type BpfEnumTable } from '@bpfkit/uapi';

/** Short lowercase names by value, as libbpf spells them: the enumerator without its prefix, aliases' `_DEPRECATED` names skipped. */
function shortNames(table: BpfEnumTable): ReadonlyMap<number, string> {
  const out = new Map<number, string>();
  for (const [name, value] of table.enumerators) {
    if (name.startsWith('__') || name.endsWith('_DEPRECATED') || !name.startsWith(table.prefix)) continue;
    if (!out.has(value)) out.set(value, name.slice(table.prefix.length).toLowerCase());
  }
  return out;
}

const PROG_TYPES = shortNames(bpfProgTypeTable);
const MAP_TYPES = shortNames(bpfMapTypeTable);
const ATTACH_TYPES = shortNames(bpfAttachTypeTable);

/**
 * A program type as `libbpf_bpf_prog_type_str()` prints it, `undefined` for a value libbpf does not name.
 *
 * @example
 * progTypeName(3); // 'sched_cls'
 */
export function progTypeName(type: number): string | undefined {
  return PROG_TYPES.get(type);
}

/**
 * A map type as `libbpf_bpf_map_type_str()` prints it.
 *
 * @example
 * mapTypeName(5); // 'percpu_hash'
 */
export function mapTypeName(type: number): string | undefined {
  return MAP_TYPES.get(type);
}

/**
 * An attach type as `libbpf_bpf_attach_type_str()` prints it.
 *
 * @example
 * attachTypeName(37); // 'xdp'
 */
export function attachTypeName(type: number): string | undefined {
  return ATTACH_TYPES.get(type);
}

/** `BPF_OBJ_NAME_LEN`: kernel object names hold 15 characters and a NUL. */
const OBJ_NAME_LEN = 16;

/**
 * The object name libbpf derives from a path: the basename kept to 15 bytes, then cut at its first dot.
 *
 * @example
 * objectName('/tmp/xdp_filter.bpf.o'); // 'xdp_filter'
 */
export function objectName(path: string): string {
  // libbpf copies 15 bytes, not characters; a character cut in half is dropped.
  const bytes = new TextEncoder().encode(path.replace(/\/+$/, '').replace(/^.*\//, '')).subarray(0, OBJ_NAME_LEN - 1);
  const base = new TextDecoder().decode(bytes).replace(/\uFFFD$/, '');
  const dot = base.indexOf('.');
  return dot < 0 ? base : base.slice(0, dot);
}

/**
 * The kernel-visible name libbpf gives the internal map of a global data section: as much of the
 * object name as fits before the section name (which counts as at least 7 characters), whole custom
 * sections (`.data.foo`: a second dot) without a prefix, 15 characters at most, and characters other
 * than `[A-Za-z0-9_.]` replaced by `_`.
 *
 * @example
 * internalMapName('xdp_filter', '.rodata'); // 'xdp_filt.rodata'
 * internalMapName('xdp_filter', '.kconfig'); // 'xdp_fil.kconfig'
 * internalMapName('xdp_filter', '.rodata.str1.1'); // '.rodata.str1.1'
 */
export function internalMapName(objName: string, section: string): string {
  const suffix = Math.min(Math.max(7, section.length), OBJ_NAME_LEN - 1);
  const prefix = section.indexOf('.', 1) >= 0 ? 0 : Math.min(OBJ_NAME_LEN - 1 - suffix, objName.length);
  const name = `${objName.slice(0, prefix)}${section.slice(0, suffix)}`.slice(0, OBJ_NAME_LEN - 1);
  return name.replace(/[^A-Za-z0-9_.]/g, '_');
}
