import type { Inode } from '@bpfkit/kernel-api';
import type { Mount } from './mount.js';

/** A resolved path (`struct path`): a mount and an inode in it, plus the components from the mount's root. */
export interface PathRef {
  readonly mnt: Mount;
  readonly inode: Inode;
  /** Components from `mnt.root` down to `inode`. */
  readonly rel: readonly string[];
}

/** The absolute path of `p` in its namespace, as /proc shows it. */
export function pathString(p: PathRef): string {
  const base = p.mnt.mountpointPath === '/' ? '' : p.mnt.mountpointPath;
  const tail = p.rel.join('/');
  const s = tail === '' ? base : `${base}/${tail}`;
  return s === '' ? '/' : s;
}

/** True when `p` is the root of its superblock (a bind mount of the root counts). */
export function isSuperblockRoot(p: PathRef): boolean {
  return p.inode === p.mnt.sb.root;
}
