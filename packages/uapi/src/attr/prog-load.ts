import { decodeAttrGroup, encodeAttrGroup } from './attr.js';
import type { AttrInput, AttrOutput } from './layout.js';

/** The attr fields of BPF_PROG_LOAD (`union bpf_attr` member `prog_load`), all optional. */
export type ProgLoadAttr = AttrInput<'prog_load'>;
/** The decoded attr of BPF_PROG_LOAD. */
export type ProgLoadAttrDecoded = AttrOutput<'prog_load'>;

/**
 * Encodes the attr of BPF_PROG_LOAD (zero-filled, the struct's size unless `size` is given).
 *
 * @example
 * encodeProgLoadAttr({ prog_type: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insn_cnt: 2, insns: insnsPtr, license: licensePtr });
 */
export function encodeProgLoadAttr(fields: ProgLoadAttr, size?: number): Uint8Array {
  return encodeAttrGroup('prog_load', fields, size);
}

/** Decodes the attr of BPF_PROG_LOAD; missing trailing bytes read as zero. Never throws. */
export function decodeProgLoadAttr(bytes: Uint8Array): ProgLoadAttrDecoded {
  return decodeAttrGroup('prog_load', bytes);
}
