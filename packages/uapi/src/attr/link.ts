import { decodeAttrGroup, encodeAttrGroup } from './attr.js';
import type { AttrInput, AttrOutput } from './layout.js';

/** The attr fields of BPF_LINK_CREATE (`union bpf_attr` member `link_create`), all optional; per-target tails as `tracing.cookie`, `tcx.relative_fd`… */
export type LinkCreateAttr = AttrInput<'link_create'>;
/** The decoded attr of BPF_LINK_CREATE. */
export type LinkCreateAttrDecoded = AttrOutput<'link_create'>;
/** The attr fields of BPF_RAW_TRACEPOINT_OPEN (`raw_tracepoint`), all optional. */
export type RawTracepointAttr = AttrInput<'raw_tracepoint'>;
/** The decoded attr of BPF_RAW_TRACEPOINT_OPEN. */
export type RawTracepointAttrDecoded = AttrOutput<'raw_tracepoint'>;
/** The attr fields of BPF_LINK_UPDATE (`link_update`), all optional. */
export type LinkUpdateAttr = AttrInput<'link_update'>;
/** The decoded attr of BPF_LINK_UPDATE. */
export type LinkUpdateAttrDecoded = AttrOutput<'link_update'>;
/** The attr fields of BPF_LINK_DETACH (`link_detach`). */
export type LinkDetachAttr = AttrInput<'link_detach'>;
/** The decoded attr of BPF_LINK_DETACH. */
export type LinkDetachAttrDecoded = AttrOutput<'link_detach'>;

/**
 * Encodes the attr of BPF_LINK_CREATE (zero-filled, the struct's size unless `size` is given).
 *
 * @example
 * encodeLinkCreateAttr({ prog_fd: 5, attach_type: BpfAttachType.BPF_TRACE_RAW_TP, 'tracing.cookie': 7n });
 */
export function encodeLinkCreateAttr(fields: LinkCreateAttr, size?: number): Uint8Array {
  return encodeAttrGroup('link_create', fields, size);
}

/**
 * Decodes the attr of BPF_LINK_CREATE; missing trailing bytes read as zero. Never throws.
 *
 * @example
 * decodeLinkCreateAttr(attr).attach_type; // 23 (BPF_TRACE_RAW_TP)
 */
export function decodeLinkCreateAttr(bytes: Uint8Array): LinkCreateAttrDecoded {
  return decodeAttrGroup('link_create', bytes);
}

/**
 * Encodes the attr of BPF_RAW_TRACEPOINT_OPEN: `name` is the address of a NUL-terminated
 * tracepoint name (0 for tp_btf/fentry programs, whose target came with the load).
 *
 * @example
 * encodeRawTracepointAttr({ name: nameAddr, prog_fd: 5 });
 */
export function encodeRawTracepointAttr(fields: RawTracepointAttr, size?: number): Uint8Array {
  return encodeAttrGroup('raw_tracepoint', fields, size);
}

/**
 * Decodes the attr of BPF_RAW_TRACEPOINT_OPEN. Never throws.
 *
 * @example
 * decodeRawTracepointAttr(attr).prog_fd; // 5
 */
export function decodeRawTracepointAttr(bytes: Uint8Array): RawTracepointAttrDecoded {
  return decodeAttrGroup('raw_tracepoint', bytes);
}

/**
 * Encodes the attr of BPF_LINK_UPDATE.
 *
 * @example
 * encodeLinkUpdateAttr({ link_fd: 7, new_prog_fd: 8, flags: BPF_F_REPLACE, old_prog_fd: 5 });
 */
export function encodeLinkUpdateAttr(fields: LinkUpdateAttr, size?: number): Uint8Array {
  return encodeAttrGroup('link_update', fields, size);
}

/**
 * Decodes the attr of BPF_LINK_UPDATE. Never throws.
 *
 * @example
 * decodeLinkUpdateAttr(attr).new_prog_fd; // 8
 */
export function decodeLinkUpdateAttr(bytes: Uint8Array): LinkUpdateAttrDecoded {
  return decodeAttrGroup('link_update', bytes);
}

/**
 * Encodes the attr of BPF_LINK_DETACH.
 *
 * @example
 * encodeLinkDetachAttr({ link_fd: 7 }); // 4 bytes
 */
export function encodeLinkDetachAttr(fields: LinkDetachAttr, size?: number): Uint8Array {
  return encodeAttrGroup('link_detach', fields, size);
}

/**
 * Decodes the attr of BPF_LINK_DETACH. Never throws.
 *
 * @example
 * decodeLinkDetachAttr(attr).link_fd; // 7
 */
export function decodeLinkDetachAttr(bytes: Uint8Array): LinkDetachAttrDecoded {
  return decodeAttrGroup('link_detach', bytes);
}
