import { decodeAttrGroup, encodeAttrGroup } from './attr.js';
import type { AttrInput, AttrOutput } from './layout.js';

/** The attr fields of BPF_{PROG,MAP,BTF,LINK}_GET_NEXT_ID and BPF_{PROG,MAP,BTF,LINK}_GET_FD_BY_ID (`union bpf_attr` member `get_id`), all optional. */
export type GetIdAttr = AttrInput<'get_id'>;
/** The decoded attr of BPF_{PROG,MAP,BTF,LINK}_GET_NEXT_ID and BPF_{PROG,MAP,BTF,LINK}_GET_FD_BY_ID. */
export type GetIdAttrDecoded = AttrOutput<'get_id'>;

/**
 * Encodes the attr of BPF_{PROG,MAP,BTF,LINK}_GET_NEXT_ID and BPF_{PROG,MAP,BTF,LINK}_GET_FD_BY_ID (zero-filled, the struct's size unless `size` is given).
 *
 * @example
 * encodeGetIdAttr({ btf_id: 7, open_flags: BPF_F_TOKEN_FD, fd_by_id_token_fd: 5 });
 */
export function encodeGetIdAttr(fields: GetIdAttr, size?: number): Uint8Array {
  return encodeAttrGroup('get_id', fields, size);
}

/** Decodes the attr of BPF_{PROG,MAP,BTF,LINK}_GET_NEXT_ID and BPF_{PROG,MAP,BTF,LINK}_GET_FD_BY_ID; missing trailing bytes read as zero. Never throws. */
export function decodeGetIdAttr(bytes: Uint8Array): GetIdAttrDecoded {
  return decodeAttrGroup('get_id', bytes);
}
