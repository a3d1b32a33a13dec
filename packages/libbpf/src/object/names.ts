import { bpfAttachTypeTable, bpfMapTypeTable, bpfProgTypeTable, type BpfEnumTable } from '@bpfkit/uapi';

const BPF_OBJ_NAME_LEN = 16;

/**
 * Lowercase names by value as libbpf's tables spell them: the enumerator without its prefix, with the
 * `_DEPRECATED` aliases skipped (libbpf says `cgroup_storage` for 19, not `cgroup_storage_deprecated`).
 */
function libbpfNames(table: BpfEnumTable): ReadonlyMap<number, string> {
  const out = new Map<number, string>();
  for (const [name, value] of table.enumerators) {
    if (name.startsWith('__') || name.endsWith('_DEPRECATED') || !name.startsWith(table.prefix)) continue;
    if (!out.has(value)) out.set(value, name.slice(table.prefix.length).toLowerCase());
  }
  for (const [name, value] of table.enumerators) {
    if (!out.has(value) && name.endsWith('_DEPRECATED') && name.startsWith(table.prefix)) out.set(value, name.slice(table.prefix.length, -'_DEPRECATED'.length).toLowerCase());
  }
  return out;
}

const PROG_TYPE_NAMES = libbpfNames(bpfProgTypeTable);
const MAP_TYPE_NAMES = libbpfNames(bpfMapTypeTable);
const ATTACH_TYPE_NAMES = libbpfNames(bpfAttachTypeTable);

/**
 * The kernel-visible name libbpf gives the map of a global data section: up to
 * `15 - max(7, len(section))` characters of the object name, then the section
 * name; a custom `.data.foo`-style section keeps its own name. Characters the kernel
 * refuses become `_`.
 *
 * @example
 * internalMapName('xdp_filter', '.rodata'); // 'xdp_filt.rodata'
 * internalMapName('xdp_filter', '.kconfig'); // 'xdp_fil.kconfig'
 */
export function internalMapName(objName: string, section: string): string {
  const sfxLen = Math.min(Math.max(7, section.length), BPF_OBJ_NAME_LEN - 1);
  const pfxLen = section.slice(1).includes('.') ? 0 : Math.min(BPF_OBJ_NAME_LEN - sfxLen - 1, objName.length);
  const name = objName.slice(0, pfxLen) + section.slice(0, sfxLen);
  return name.replace(/[^A-Za-z0-9_.]/g, '_');
}

/**
 * libbpf's object name for a file (`bpf_object__open`): the basename kept to
 * `BPF_OBJ_NAME_LEN - 1` bytes, then cut at its first dot.
 *
 * @example
 * objectNameFromPath('/tmp/xdp_fw.bpf.o'); // 'xdp_fw'
 * objectNameFromPath('a_very_long_object_name.o'); // 'a_very_long_obj'
 */
export function objectNameFromPath(path: string): string {
  const base = new TextEncoder().encode(path.slice(path.lastIndexOf('/') + 1)).subarray(0, BPF_OBJ_NAME_LEN - 1);
  const name = new TextDecoder().decode(base).replace(/\uFFFD$/, '');
  const dot = name.indexOf('.');
  return dot < 0 ? name : name.slice(0, dot);
}

/** A stable default name for an object opened from bytes: `obj_` and 8 hex digits of an FNV-1a hash. */
export function defaultObjectName(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return `obj_${h.toString(16).padStart(8, '0')}`;
}

/** `libbpf_bpf_prog_type_str()`. @example progTypeStr(6); // 'xdp' */
export function progTypeStr(type: number): string {
  return PROG_TYPE_NAMES.get(type) ?? `prog_type_${String(type)}`;
}

/** `libbpf_bpf_map_type_str()`. @example mapTypeStr(1); // 'hash'; mapTypeStr(19); // 'cgroup_storage' */
export function mapTypeStr(type: number): string {
  return MAP_TYPE_NAMES.get(type) ?? `map_type_${String(type)}`;
}

/** `libbpf_bpf_attach_type_str()`. @example attachTypeStr(37); // 'xdp' */
export function attachTypeStr(type: number): string {
  return ATTACH_TYPE_NAMES.get(type) ?? `attach_type_${String(type)}`;
}
