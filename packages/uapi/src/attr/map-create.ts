import { decodeAttrGroup, encodeAttrGroup } from './attr.js';
import type { AttrInput, AttrOutput } from './layout.js';

/** The attr fields of BPF_MAP_CREATE (`union bpf_attr` member `map_create`), all optional. */
export type MapCreateAttr = AttrInput<'map_create'>;
/** The decoded attr of BPF_MAP_CREATE. */
export type MapCreateAttrDecoded = AttrOutput<'map_create'>;

/**
 * Encodes the attr of BPF_MAP_CREATE (zero-filled, the struct's size unless `size` is given).
 *
 * @example
 * encodeMapCreateAttr({ map_type: BpfMapType.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 64, map_name: 'counters' });
 */
export function encodeMapCreateAttr(fields: MapCreateAttr, size?: number): Uint8Array {
  return encodeAttrGroup('map_create', fields, size);
}

/** Decodes the attr of BPF_MAP_CREATE; missing trailing bytes read as zero. Never throws. */
export function decodeMapCreateAttr(bytes: Uint8Array): MapCreateAttrDecoded {
  return decodeAttrGroup('map_create', bytes);
}
