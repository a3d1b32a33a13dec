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
  const attr = attrCopy();
  attr.set(bytes.length > BPF_ATTR_SIZE ? bytes.subarray(0, BPF_ATTR_SIZE) : bytes);
  return { ok: true, attr };
}

/**
 * Copies are cut from a shared, zero-filled slab (as Node's Buffer pool does): a fresh 168-byte
 * typed array costs an off-heap allocation per bpf() call. Each piece is handed out once, so a
 * copy is private to its call; a copy kept alive keeps its slab alive.
 */
const SLAB_COPIES = 64;
let slab = new Uint8Array(0);
let slabUsed = 0;

function attrCopy(): Uint8Array {
  if (slabUsed + BPF_ATTR_SIZE > slab.length) {
    slab = new Uint8Array(BPF_ATTR_SIZE * SLAB_COPIES);
    slabUsed = 0;
  }
  const copy = slab.subarray(slabUsed, slabUsed + BPF_ATTR_SIZE);
  slabUsed += BPF_ATTR_SIZE;
  return copy;
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
  // Asked on every bpf() call (CHECK_ATTR): the layouts never change, so each answer is kept.
  if (lastFieldEnds.has(cmd)) return lastFieldEnds.get(cmd);
  const end = computeLastFieldEnd(cmd);
  if (isAttrCmd(cmd)) lastFieldEnds.set(cmd, end);
  return end;
}

const lastFieldEnds = new Map<number, number | undefined>();

function computeLastFieldEnd(cmd: number): number | undefined {
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
