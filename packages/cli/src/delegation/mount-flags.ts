/** `MOUNT_ATTR_*` of fsmount(2) for the per-mount flags `/proc/mounts` prints. */
const MOUNT_ATTRS: ReadonlyMap<string, number> = new Map([
  ['ro', 0x1],
  ['nosuid', 0x2],
  ['nodev', 0x4],
  ['noexec', 0x8],
  ['nodiratime', 0x80],
  ['nosymfollow', 0x20_0000],
]);

/** The atime modes (`MOUNT_ATTR__ATIME` field): one per mount, the last one given wins. */
const ATIME_MODES: ReadonlyMap<string, number> = new Map([
  ['relatime', 0x0],
  ['noatime', 0x10],
  ['strictatime', 0x20],
]);

/** Superblock flags: fsconfig keys the VFS itself takes (`vfs_parse_sb_flag`), before bpffs sees them. */
const SB_FLAG_KEYS: ReadonlySet<string> = new Set(['sync', 'dirsync', 'lazytime', 'mand']);

/** Flags that are what a new mount has anyway. */
const DEFAULTS: ReadonlySet<string> = new Set(['rw', 'relatime']);

/** How the mount flags of `--mount` are set up: fsmount attributes and fsconfig flag keys. */
export interface MountFlagSetup {
  readonly attrs: number;
  readonly sbKeys: readonly string[];
}

/**
 * Turns the VFS flags of a `/proc/mounts` line into what makes such a mount: per-mount flags as
 * fsmount attributes, superblock flags as fsconfig keys (`rw` is the default).
 *
 * @example
 * mountFlagSetup(['rw', 'nosuid', 'noexec', 'sync']); // { attrs: 0xa, sbKeys: ['sync'] }
 */
export function mountFlagSetup(flags: readonly string[]): MountFlagSetup {
  let attrs = 0;
  let atime = 0;
  const sbKeys: string[] = [];
  for (const f of flags) {
    const attr = MOUNT_ATTRS.get(f);
    const mode = ATIME_MODES.get(f);
    if (attr !== undefined) attrs |= attr;
    else if (mode !== undefined) atime = mode;
    else if (SB_FLAG_KEYS.has(f)) sbKeys.push(f);
  }
  return { attrs: attrs | atime, sbKeys };
}

/**
 * What the given VFS flags change for a delegated bpffs, as Linux 6.18 showed: nothing for the token
 * and the commands it delegates (BPF_TOKEN_CREATE, map_create through the token with
 * ro,nosuid,nodev,noexec,noatime,nodiratime,nosymfollow), and `ro` refuses pins with EROFS.
 * Undefined when only the defaults (rw, relatime) were given.
 *
 * @example
 * mountFlagsNote(['rw', 'nosuid']);
 * // 'mount flags nosuid: applied to the mount; they take no part in token decisions …'
 */
export function mountFlagsNote(flags: readonly string[]): string | undefined {
  const shown = [...new Set(flags.filter((f) => !DEFAULTS.has(f)))];
  if (shown.length === 0) return undefined;
  const base = `mount flags ${shown.join(',')}: applied to the mount; they take no part in token decisions (BPF_TOKEN_CREATE and the commands a token delegates do not look at them)`;
  return shown.includes('ro') ? `${base}; ro makes the mount read-only, so pinning in it (BPF_OBJ_PIN) fails with EROFS` : base;
}
