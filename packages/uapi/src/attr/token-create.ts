import { decodeAttrGroup, encodeAttrGroup } from './attr.js';
import type { AttrInput, AttrOutput } from './layout.js';

/** The attr fields of BPF_TOKEN_CREATE (`union bpf_attr` member `token_create`), all optional. */
export type TokenCreateAttr = AttrInput<'token_create'>;
/** The decoded attr of BPF_TOKEN_CREATE. */
export type TokenCreateAttrDecoded = AttrOutput<'token_create'>;

/**
 * Encodes the attr of BPF_TOKEN_CREATE (zero-filled, the struct's size unless `size` is given).
 *
 * @example
 * encodeTokenCreateAttr({ flags: 0, bpffs_fd: 4 }); // 8 bytes
 */
export function encodeTokenCreateAttr(fields: TokenCreateAttr, size?: number): Uint8Array {
  return encodeAttrGroup('token_create', fields, size);
}

/** Decodes the attr of BPF_TOKEN_CREATE; missing trailing bytes read as zero. Never throws. */
export function decodeTokenCreateAttr(bytes: Uint8Array): TokenCreateAttrDecoded {
  return decodeAttrGroup('token_create', bytes);
}
