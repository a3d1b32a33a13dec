import type { Mount } from './mount.js';

// Per-mount flags (`MNT_*`) other than read-only, as fsmount attributes and mount(2) flags set
// them, and as the mount options field of /proc/<pid>/mountinfo shows them.
const NOSUID = 1;
const NODEV = 2;
const NOEXEC = 4;
const NOATIME = 8;
const NODIRATIME = 16;
const RELATIME = 32;
const NOSYMFOLLOW = 64;

const SHOWN: readonly (readonly [number, string])[] = [
  [NOSUID, ',nosuid'],
  [NODEV, ',nodev'],
  [NOEXEC, ',noexec'],
  [NOATIME, ',noatime'],
  [NODIRATIME, ',nodiratime'],
  [RELATIME, ',relatime'],
  [NOSYMFOLLOW, ',nosymfollow'],
];

const flagsOf = new WeakMap<Mount, number>();

/** The flags of an fsmount() with these (already validated) `MOUNT_ATTR_*` attributes. */
export function mntFlagsFromAttr(attr: number): number {
  let f = 0;
  if ((attr & 0x2) !== 0) f |= NOSUID;
  if ((attr & 0x4) !== 0) f |= NODEV;
  if ((attr & 0x8) !== 0) f |= NOEXEC;
  const atime = attr & 0x70;
  if (atime === 0) f |= RELATIME;
  else if (atime === 0x10) f |= NOATIME;
  if ((attr & 0x80) !== 0) f |= NODIRATIME;
  if ((attr & 0x20_0000) !== 0) f |= NOSYMFOLLOW;
  return f;
}

/** The flags of a new mount(2) with these `MS_*` flags: relatime unless noatime or strictatime is asked for. */
export function mntFlagsFromMs(ms: number): number {
  let f = 0;
  if ((ms & 0x2) !== 0) f |= NOSUID;
  if ((ms & 0x4) !== 0) f |= NODEV;
  if ((ms & 0x8) !== 0) f |= NOEXEC;
  if ((ms & 0x400) !== 0) f |= NOATIME;
  else if ((ms & 0x100_0000) === 0) f |= RELATIME;
  if ((ms & 0x800) !== 0) f |= NODIRATIME;
  if ((ms & 0x100) !== 0) f |= NOSYMFOLLOW;
  return f;
}

export function setMntFlags(mnt: Mount, flags: number): void {
  flagsOf.set(mnt, flags);
}

/** A mount's flags; mounts made without any (the boot-time ones) are plain relatime. */
export function mntFlags(mnt: Mount): number {
  return flagsOf.get(mnt) ?? RELATIME;
}

/** `ro` or `rw`, then the set flags in the kernel's order: mountinfo's mount options field. */
export function showMntOptions(mnt: Mount): string {
  const f = mntFlags(mnt);
  let out = mnt.readonly ? 'ro' : 'rw';
  for (const [bit, text] of SHOWN) if ((f & bit) !== 0) out += text;
  return out;
}
