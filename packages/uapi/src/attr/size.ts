import { PAGE_SIZE } from '../limits.js';
import { ATTR_LAST_FIELD, attrGroup, isAttrCmd } from './commands.js';
import { attrField, attrFieldSize } from './layout.js';
import { BPF_ATTR_SIZE } from './layout.generated.js';

/** The outcome of the kernel's size check of a `bpf()` attr (`bpf_check_uarg_tail_zero`). */
export type AttrSizeCheck =
  | {
      readonly ok: true;
      /** The kernel's copy: exactly BPF_ATTR_SIZE bytes, zero-filled past the caller's size. */
      readonly attr: Uint8Array;
    }
  | {
      readonly ok: false;
      readonly errno: 'E2BIG';
      /** `attr:too-big` (size > PAGE_SIZE) or `attr:tail-not-zero`; use as a BpfError reason. */
      readonly reason: 'attr:too-big' | 'attr:tail-not-zero';
      /** First offending byte: the first non-zero byte past BPF_ATTR_SIZE, or PAGE_SIZE when too big. */
      readonly offset: number;
    };

/**
 * The size rule `bpf()` applies before anything else: an attr longer than PAGE_SIZE is E2BIG; one
 * longer than sizeof(union bpf_attr) is accepted only if the extra bytes are zero (else E2BIG).
 * A shorter attr is zero-extended. Never throws.
 *
 * @example
 * const r = checkAttrSize(bytes);
 * if (!r.ok) throw new BpfError(r.errno, r.reason, `non-zero byte at ${r.offset}`);
 */
export function checkAttrSize(bytes: Uint8Array): AttrSizeCheck {
  if (bytes.length > PAGE_SIZE) return { ok: false, errno: 'E2BIG', reason: 'attr:too-big', offset: PAGE_SIZE };
  for (let i = BPF_ATTR_SIZE; i < bytes.length; i++) {
    if (bytes[i] !== 0) return { ok: false, errno: 'E2BIG', reason: 'attr:tail-not-zero', offset: i };
  }
  const attr = new Uint8Array(BPF_ATTR_SIZE);
  attr.set(bytes.subarray(0, BPF_ATTR_SIZE));
  return { ok: true, attr };
}

/**
 * The name of `<CMD>_LAST_FIELD` (dotted inside nested structs), or undefined for an unknown command.
 *
 * @example
 * attrLastField(BpfCmd.BPF_TOKEN_CREATE); // 'bpffs_fd'
 */
export function attrLastField(cmd: number): string | undefined {
  return isAttrCmd(cmd) ? ATTR_LAST_FIELD[cmd] : undefined;
}

/**
 * `offsetofend(union bpf_attr, <CMD>_LAST_FIELD)`: where CHECK_ATTR starts requiring zeros.
 *
 * @example
 * lastFieldEnd(BpfCmd.BPF_TOKEN_CREATE); // 8
 */
export function lastFieldEnd(cmd: number): number | undefined {
  const group = attrGroup(cmd);
  const name = attrLastField(cmd);
  if (group === undefined || name === undefined) return undefined;
  const field = attrField(group, name);
  return field === undefined ? undefined : field.offset + attrFieldSize(field);
}

/**
 * The offset of the first non-zero byte after the command's last field, within sizeof(union bpf_attr)
 * (the kernel's CHECK_ATTR, which fails with EINVAL); undefined when the tail is clean or the command unknown.
 * Bytes past BPF_ATTR_SIZE are checkAttrSize's business. Never throws.
 *
 * @example
 * attrTailNonZero(BpfCmd.BPF_TOKEN_CREATE, bytes); // 8 when byte 8 is set
 */
export function attrTailNonZero(cmd: number, bytes: Uint8Array): number | undefined {
  const end = lastFieldEnd(cmd);
  if (end === undefined) return undefined;
  const limit = Math.min(bytes.length, BPF_ATTR_SIZE);
  for (let i = end; i < limit; i++) if (bytes[i] !== 0) return i;
  return undefined;
}
