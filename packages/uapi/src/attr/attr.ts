import { ATTR_GROUP_BY_CMD, isAttrCmd, type AttrCmd, type AttrGroupOf } from './commands.js';
import { decodeLayout, encodeLayout } from './codec.js';
import { attrGroupLayout, type AttrGroup, type AttrInput, type AttrLayout, type AttrOutput } from './layout.js';

/**
 * The struct layout a command reads from `union bpf_attr`, or undefined for an unknown command.
 *
 * @example
 * attrLayout(BpfCmd.BPF_MAP_CREATE)?.size; // 96
 */
export function attrLayout(cmd: number): AttrLayout | undefined {
  return isAttrCmd(cmd) ? attrGroupLayout(ATTR_GROUP_BY_CMD[cmd]) : undefined;
}

function layoutOrThrow(cmd: number): AttrLayout {
  const layout = attrLayout(cmd);
  if (layout === undefined) throw new RangeError(`bpf command ${String(cmd)} has no attr layout`);
  return layout;
}

/**
 * Encodes a command's attr: zero-filled, `size` bytes (default: the command's struct size).
 * Throws RangeError for an unknown command (see encodeLayout for field errors).
 *
 * @example
 * encodeAttr(BpfCmd.BPF_TOKEN_CREATE, { flags: 0, bpffs_fd: 5 }); // Uint8Array(8) [0,0,0,0,5,0,0,0]
 */
export function encodeAttr<C extends AttrCmd>(cmd: C, fields: AttrInput<AttrGroupOf<C>>, size?: number): Uint8Array {
  return encodeLayout(layoutOrThrow(cmd), fields, size);
}

/**
 * Decodes a command's attr; missing trailing bytes read as zero. Throws RangeError only for an unknown command.
 *
 * @example
 * decodeAttr(BpfCmd.BPF_TOKEN_CREATE, bytes).bpffs_fd; // 5
 */
export function decodeAttr<C extends AttrCmd>(cmd: C, bytes: Uint8Array): AttrOutput<AttrGroupOf<C>> {
  return decodeLayout(layoutOrThrow(cmd), bytes) as AttrOutput<AttrGroupOf<C>>;
}

/** Encodes the fields of a group directly (for callers that dispatch on group, e.g. all `get_id` commands). */
export function encodeAttrGroup<G extends AttrGroup>(group: G, fields: AttrInput<G>, size?: number): Uint8Array {
  return encodeLayout(attrGroupLayout(group), fields, size);
}

/** Decodes the fields of a group directly. Never throws. */
export function decodeAttrGroup<G extends AttrGroup>(group: G, bytes: Uint8Array): AttrOutput<G> {
  return decodeLayout(attrGroupLayout(group), bytes) as AttrOutput<G>;
}
