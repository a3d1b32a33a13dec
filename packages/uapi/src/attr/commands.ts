import type { AttrFieldName, AttrGroup } from './layout.js';

/**
 * Which member of `union bpf_attr` each command reads, by `enum bpf_cmd` value
 * (the kernel's `__sys_bpf` dispatch).
 */
export const ATTR_GROUP_BY_CMD = {
  0: 'map_create',
  1: 'map_elem',
  2: 'map_elem',
  3: 'map_elem',
  4: 'map_elem',
  5: 'prog_load',
  6: 'obj',
  7: 'obj',
  8: 'prog_attach',
  9: 'prog_attach',
  10: 'test',
  11: 'get_id',
  12: 'get_id',
  13: 'get_id',
  14: 'get_id',
  15: 'info',
  16: 'query',
  17: 'raw_tracepoint',
  18: 'btf_load',
  19: 'get_id',
  20: 'task_fd_query',
  21: 'map_elem',
  22: 'map_elem',
  23: 'get_id',
  24: 'batch',
  25: 'batch',
  26: 'batch',
  27: 'batch',
  28: 'link_create',
  29: 'link_update',
  30: 'get_id',
  31: 'get_id',
  32: 'enable_stats',
  33: 'iter_create',
  34: 'link_detach',
  35: 'prog_bind_map',
  36: 'token_create',
  37: 'prog_stream_read',
} as const satisfies Record<number, AttrGroup>;

/** A command that has an attr layout (every `enum bpf_cmd` value of 6.18). */
export type AttrCmd = keyof typeof ATTR_GROUP_BY_CMD;
/** The attr group of a command. */
export type AttrGroupOf<C extends AttrCmd> = (typeof ATTR_GROUP_BY_CMD)[C];

/**
 * `<CMD>_LAST_FIELD` of kernel/bpf/syscall.c (6.18), as a field name of the command's group:
 * CHECK_ATTR gives EINVAL when any byte after this field, up to sizeof(union bpf_attr), is non-zero.
 * Checked on the real 6.18 kernel for MAP_CREATE (excl_prog_hash_size accepted, byte 92 EINVAL),
 * MAP_DELETE_ELEM (a non-zero `value` is EINVAL), PROG_LOAD (keyring_id accepted) and LINK_CREATE (end 60).
 */
export const ATTR_LAST_FIELD = {
  0: 'excl_prog_hash_size',
  1: 'flags',
  2: 'flags',
  3: 'key',
  4: 'next_key',
  5: 'keyring_id',
  6: 'path_fd',
  7: 'path_fd',
  8: 'expected_revision',
  9: 'expected_revision',
  10: 'batch_size',
  11: 'next_id',
  12: 'next_id',
  13: 'prog_id',
  14: 'open_flags',
  15: 'info',
  16: 'revision',
  17: 'cookie',
  18: 'btf_token_fd',
  19: 'fd_by_id_token_fd',
  20: 'probe_addr',
  21: 'flags',
  22: 'map_fd',
  23: 'next_id',
  24: 'flags',
  25: 'flags',
  26: 'flags',
  27: 'flags',
  28: 'uprobe_multi.pid',
  29: 'old_prog_fd',
  30: 'link_id',
  31: 'next_id',
  32: 'type',
  33: 'flags',
  34: 'link_fd',
  35: 'flags',
  36: 'bpffs_fd',
  37: 'prog_fd',
} as const satisfies { [C in AttrCmd]: AttrFieldName<AttrGroupOf<C>> };

/** True when `cmd` is a command of this kernel with an attr layout. */
export function isAttrCmd(cmd: number): cmd is AttrCmd {
  return Object.hasOwn(ATTR_GROUP_BY_CMD, cmd);
}

/**
 * The attr group a command reads, or undefined for an unknown command.
 *
 * @example
 * attrGroup(BpfCmd.BPF_OBJ_PIN); // 'obj'
 */
export function attrGroup(cmd: number): AttrGroup | undefined {
  return isAttrCmd(cmd) ? ATTR_GROUP_BY_CMD[cmd] : undefined;
}
