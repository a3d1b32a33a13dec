import { decodeAttrGroup, encodeAttrGroup } from './attr.js';
import type { AttrInput, AttrOutput } from './layout.js';

/** The attr fields of BPF_BTF_LOAD (`union bpf_attr` member `btf_load`), all optional. */
export type BtfLoadAttr = AttrInput<'btf_load'>;
/** The decoded attr of BPF_BTF_LOAD. */
export type BtfLoadAttrDecoded = AttrOutput<'btf_load'>;

/**
 * Encodes the attr of BPF_BTF_LOAD (zero-filled, the struct's size unless `size` is given).
 *
 * @example
 * encodeBtfLoadAttr({ btf: btfPtr, btf_size: 512, btf_flags: BPF_F_TOKEN_FD, btf_token_fd: 5 });
 */
export function encodeBtfLoadAttr(fields: BtfLoadAttr, size?: number): Uint8Array {
  return encodeAttrGroup('btf_load', fields, size);
}

/** Decodes the attr of BPF_BTF_LOAD; missing trailing bytes read as zero. Never throws. */
export function decodeBtfLoadAttr(bytes: Uint8Array): BtfLoadAttrDecoded {
  return decodeAttrGroup('btf_load', bytes);
}
