import { decodeAttrGroup, encodeAttrGroup } from './attr.js';
import type { AttrInput, AttrOutput } from './layout.js';

/** The attr fields of BPF_OBJ_PIN and BPF_OBJ_GET (`union bpf_attr` member `obj`), all optional. */
export type ObjAttr = AttrInput<'obj'>;
/** The decoded attr of BPF_OBJ_PIN and BPF_OBJ_GET. */
export type ObjAttrDecoded = AttrOutput<'obj'>;

/**
 * Encodes the attr of BPF_OBJ_PIN and BPF_OBJ_GET (zero-filled, the struct's size unless `size` is given).
 *
 * @example
 * encodeObjAttr({ pathname: pathPtr, bpf_fd: 3 });
 */
export function encodeObjAttr(fields: ObjAttr, size?: number): Uint8Array {
  return encodeAttrGroup('obj', fields, size);
}

/** Decodes the attr of BPF_OBJ_PIN and BPF_OBJ_GET; missing trailing bytes read as zero. Never throws. */
export function decodeObjAttr(bytes: Uint8Array): ObjAttrDecoded {
  return decodeAttrGroup('obj', bytes);
}
