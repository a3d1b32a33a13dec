import { decodeAttrGroup, encodeAttrGroup } from './attr.js';
import type { AttrInput, AttrOutput } from './layout.js';

/** The attr fields of BPF_PROG_TEST_RUN (`union bpf_attr` member `test`), all optional. */
export type TestRunAttr = AttrInput<'test'>;
/** The decoded attr of BPF_PROG_TEST_RUN. */
export type TestRunAttrDecoded = AttrOutput<'test'>;

/**
 * Encodes the attr of BPF_PROG_TEST_RUN (zero-filled, the struct's size unless `size` is given).
 *
 * @example
 * encodeTestRunAttr({ prog_fd: 4, data_in: dataPtr, data_size_in: 64, repeat: 1 });
 */
export function encodeTestRunAttr(fields: TestRunAttr, size?: number): Uint8Array {
  return encodeAttrGroup('test', fields, size);
}

/** Decodes the attr of BPF_PROG_TEST_RUN; missing trailing bytes read as zero. Never throws. */
export function decodeTestRunAttr(bytes: Uint8Array): TestRunAttrDecoded {
  return decodeAttrGroup('test', bytes);
}
