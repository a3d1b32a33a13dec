import type { BtfTypeView, BtfView, MapBtfCheck } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { reject } from './checks.js';

// The per-type halves of `map_check_btf` (`ops->map_check_btf` in kernel/bpf/*.c).

/** An INT with no bit offset and `bits` bits (`btf_type_is_i32` / `btf_type_is_i64`). */
function isRegularInt(t: BtfTypeView, bits: number): boolean {
  return t.kind === 'INT' && t.bitsOffset === 0 && t.bits === bits;
}

/** `map_check_no_btf`: the type stores kernel objects, not BTF-described data. */
export function mapCheckNoBtf(): void {
  reject('ENOTSUPP', 'btf-not-supported', 'this map type takes no BTF (map_check_no_btf)');
}

/** `array_map_check_btf`: an i32 key, or no key for a one-entry `.data`-style array whose value is a DATASEC. */
export function arrayMapCheckBtf(c: MapBtfCheck): void {
  if (c.keyType.kind === 'VOID') {
    if (c.mapType !== BpfMapType.BPF_MAP_TYPE_ARRAY || c.maxEntries !== 1) {
      reject('EINVAL', 'array-btf-keyless', 'only a one-entry array may have no key BTF');
    }
    if (c.valueType.kind !== 'DATASEC') reject('EINVAL', 'array-btf-keyless-value', 'a keyless array needs a DATASEC value');
    return;
  }
  if (!isRegularInt(c.keyType, 32)) reject('EINVAL', 'array-btf-key', 'array keys must be a 32-bit int');
}

/** `bpf_local_storage_map_check_btf`: the key is an i32 (an fd). */
export function localStorageCheckBtf(c: MapBtfCheck): void {
  if (!isRegularInt(c.keyType, 32)) reject('EINVAL', 'local-storage-btf-key', 'local storage keys must be a 32-bit int');
}

/** `trie_check_btf`: keys start with `struct bpf_lpm_trie_key_hdr`, so the key must be a struct. */
export function trieCheckBtf(c: MapBtfCheck): void {
  if (c.keyType.kind !== 'STRUCT') reject('EINVAL', 'lpm-trie-btf-key', 'LPM trie keys must be a struct');
}

/** `bloom_map_check_btf`: bloom filters have no key. */
export function bloomCheckBtf(c: MapBtfCheck): void {
  if (c.keyType.kind !== 'VOID') reject('EINVAL', 'bloom-btf-key', 'bloom filters take no key BTF');
}

/** `arena_map_check_btf`: anything goes (arenas only need BTF for the verifier). */
export function arenaCheckBtf(): void {
  // accepted as is
}

/** A member that is an INT of `size` bytes, full width, at byte `offset` (`btf_member_is_reg_int`). */
function memberIsRegInt(btf: BtfView, s: BtfTypeView, index: number, offset: number, size: number): boolean {
  const m = s.members?.[index];
  if (m === undefined) return false;
  // Typedefs and modifiers are looked through (`btf_type_id_size`): the key's members are `__u64`/`__u32`.
  const t = btf.typeIdSize(m.type)?.type;
  if (t?.kind !== 'INT') return false;
  const bitfield = s.kflag === true ? m.bitfieldSize : 0;
  return m.bitsOffset === offset * 8 && bitfield === 0 && t.bitsOffset === 0 && t.bits === size * 8 && t.size === size;
}

/** `cgroup_storage_check_btf`: a u64 cgroup id, or `struct bpf_cgroup_storage_key { u64; u32; }`. */
export function cgroupStorageCheckBtf(c: MapBtfCheck): void {
  if (c.keySize === 8) {
    if (!isRegularInt(c.keyType, 64)) reject('EINVAL', 'cgroup-storage-btf-key', 'an 8-byte cgroup storage key must be a u64');
    return;
  }
  const k = c.keyType;
  if (k.kind !== 'STRUCT' || k.members?.length !== 2 || !memberIsRegInt(c.btf, k, 0, 0, 8) || !memberIsRegInt(c.btf, k, 1, 8, 4)) {
    reject('EINVAL', 'cgroup-storage-btf-key', 'the key must be struct bpf_cgroup_storage_key { __u64 cgroup_inode_id; __u32 attach_type; }');
  }
}
