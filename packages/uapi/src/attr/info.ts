import { decodeAttrGroup, encodeAttrGroup } from './attr.js';
import type { AttrInput, AttrOutput } from './layout.js';

/** The attr fields of BPF_OBJ_GET_INFO_BY_FD (`union bpf_attr` member `info`), all optional. */
export type InfoAttr = AttrInput<'info'>;
/** The decoded attr of BPF_OBJ_GET_INFO_BY_FD. */
export type InfoAttrDecoded = AttrOutput<'info'>;

/**
 * Encodes the attr of BPF_OBJ_GET_INFO_BY_FD (zero-filled, the struct's size unless `size` is given).
 *
 * @example
 * encodeInfoAttr({ bpf_fd: 3, info_len: 256, info: infoPtr });
 */
export function encodeInfoAttr(fields: InfoAttr, size?: number): Uint8Array {
  return encodeAttrGroup('info', fields, size);
}

/** Decodes the attr of BPF_OBJ_GET_INFO_BY_FD; missing trailing bytes read as zero. Never throws. */
export function decodeInfoAttr(bytes: Uint8Array): InfoAttrDecoded {
  return decodeAttrGroup('info', bytes);
}
