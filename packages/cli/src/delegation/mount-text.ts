import { CliError } from '../errors.js';

/** One option for fsconfig: `key=value` (SET_STRING) or a bare `key` (SET_FLAG). */
export interface MountOption {
  readonly key: string;
  readonly value: string | undefined;
}

/**
 * The VFS flags `/proc/mounts` prints before a file system's own options: per-mount flags
 * (`fsmount` attributes) and superblock flags (fsconfig keys the VFS takes before bpffs sees them).
 */
const VFS_FLAGS = new Set(['rw', 'ro', 'relatime', 'noatime', 'nodiratime', 'strictatime', 'nosymfollow', 'lazytime', 'nosuid', 'nodev', 'noexec', 'sync', 'dirsync', 'mand']);

/** The option field of `/proc/mounts` text, or the whole text when it is a bare option list. */
function optionWords(text: string): string[] {
  const fields = text.trim().split(/\s+/);
  const optionField = fields.length >= 4 && fields[2] === 'bpf' ? fields[3] : fields.join(',');
  if (optionField === undefined) throw new CliError('no mount options given');
  return optionField.split(',').filter((o) => o !== '');
}

/**
 * The VFS flags among the options, in the order given (`ro`, `nosuid`, `relatime`…).
 *
 * @example
 * parseMountFlags('bpf /sys/fs/bpf bpf rw,nosuid,nodev,noexec,relatime,delegate_cmds=any 0 0');
 * // ['rw', 'nosuid', 'nodev', 'noexec', 'relatime']
 */
export function parseMountFlags(text: string): string[] {
  return optionWords(text).filter((o) => VFS_FLAGS.has(o));
}

/**
 * Reads bpffs options (the VFS flags left out: see {@link parseMountFlags}) from `/proc/mounts` text (`none /sys/fs/bpf bpf rw,relatime,delegate_cmds=any 0 0`),
 * a bare option list (`delegate_cmds=map_create:prog_load,delegate_maps=hash`), or both separated by spaces.
 *
 * @example
 * parseMountText('bpf /sys/fs/bpf bpf rw,uid=100000,delegate_cmds=any 0 0');
 * // [{ key: 'uid', value: '100000' }, { key: 'delegate_cmds', value: 'any' }]
 */
export function parseMountText(text: string): MountOption[] {
  return optionWords(text)
    .filter((o) => !VFS_FLAGS.has(o))
    .map((o) => {
      const eq = o.indexOf('=');
      return eq === -1 ? { key: o, value: undefined } : { key: o.slice(0, eq), value: o.slice(eq + 1) };
    });
}
