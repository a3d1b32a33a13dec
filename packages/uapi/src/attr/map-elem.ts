import { decodeAttrGroup, encodeAttrGroup } from './attr.js';
import type { AttrInput, AttrOutput } from './layout.js';

/** The attr fields of BPF_MAP_LOOKUP_ELEM, UPDATE_ELEM, DELETE_ELEM, GET_NEXT_KEY, LOOKUP_AND_DELETE_ELEM and FREEZE (`union bpf_attr` member `map_elem`), all optional. */
export type MapElemAttr = AttrInput<'map_elem'>;
/** The decoded attr of BPF_MAP_LOOKUP_ELEM, UPDATE_ELEM, DELETE_ELEM, GET_NEXT_KEY, LOOKUP_AND_DELETE_ELEM and FREEZE. */
export type MapElemAttrDecoded = AttrOutput<'map_elem'>;

/**
 * Encodes the attr of BPF_MAP_LOOKUP_ELEM, UPDATE_ELEM, DELETE_ELEM, GET_NEXT_KEY, LOOKUP_AND_DELETE_ELEM and FREEZE (zero-filled, the struct's size unless `size` is given).
 *
 * @example
 * encodeMapElemAttr({ map_fd: 3, key: keyPtr, value: valuePtr, flags: BigInt(BPF_NOEXIST) });
 */
export function encodeMapElemAttr(fields: MapElemAttr, size?: number): Uint8Array {
  return encodeAttrGroup('map_elem', fields, size);
}

/** Decodes the attr of BPF_MAP_LOOKUP_ELEM, UPDATE_ELEM, DELETE_ELEM, GET_NEXT_KEY, LOOKUP_AND_DELETE_ELEM and FREEZE; missing trailing bytes read as zero. Never throws. */
export function decodeMapElemAttr(bytes: Uint8Array): MapElemAttrDecoded {
  return decodeAttrGroup('map_elem', bytes);
}
