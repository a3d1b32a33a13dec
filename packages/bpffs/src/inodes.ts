import {
  BpfError,
  INVALID_ID,
  MAY_EXEC,
  MAY_WRITE,
  S_IALLUGO,
  S_IRWXUGO,
  S_ISGID,
  S_ISVTX,
  type Credentials,
  type Inode,
  type InodeKind,
  type SuperBlock,
} from '@bpfkit/kernel-api';
import { Capability } from '@bpfkit/uapi';
import { capableWrtInodeUidgid, genericPermission, type PermissionDeps } from './permission.js';

/** A bpffs inode: the contract's {@link Inode} with a mutable directory map. */
export interface BpfInode extends Inode {
  readonly children?: Map<string, Inode>;
}

/** Allocates inode numbers (`get_next_ino`); the root is always 1. */
export type InoAllocator = () => number;

/**
 * `bpf_get_inode` + `inode_init_owner`: owned by the caller's fsuid; the group
 * is the directory's when it has S_ISGID (and a new directory keeps S_ISGID),
 * else the caller's fsgid.
 */
export function newInode(
  sb: SuperBlock,
  ino: number,
  dir: Inode | undefined,
  kind: InodeKind,
  mode: number,
  cred: Credentials,
  object?: unknown,
): BpfInode {
  let m = mode & S_IALLUGO;
  let gid = cred.fsgid;
  if (dir !== undefined && (dir.mode & S_ISGID) !== 0) {
    gid = dir.gid;
    if (kind === 'dir') m |= S_ISGID;
  }
  const inode: { -readonly [K in keyof BpfInode]: BpfInode[K] } = { ino, kind, mode: m, uid: cred.fsuid, gid, superblock: sb };
  if (kind === 'dir') inode.children = new Map();
  if (object !== undefined) inode.object = object;
  return inode;
}

function childrenOf(dir: Inode): Map<string, Inode> {
  if (dir.kind !== 'dir' || dir.children === undefined) {
    throw new BpfError('ENOTDIR', 'bpffs:not-a-directory', `inode ${dir.ino} is not a directory`);
  }
  return dir.children;
}

/**
 * `bpf_lookup` behind the dcache: an existing entry is found; a missing name
 * with a dot is EPERM (dots are reserved for files bpffs creates itself) unless
 * the directory has no mode bits at all; otherwise a negative entry.
 */
export function bpfLookup(dir: Inode, name: string): Inode | undefined {
  const found = childrenOf(dir).get(name);
  if (found !== undefined) return found;
  if ((dir.mode & S_IALLUGO) !== 0 && name.includes('.')) {
    throw new BpfError('EPERM', 'bpffs:dot-in-name', `'${name}': names with a dot are reserved in bpffs`);
  }
  return undefined;
}

/**
 * The create path shared by mkdir and pin: the lookup (EPERM for a dotted
 * name, EEXIST), then `may_create` (EOVERFLOW when the caller's fsuid/fsgid
 * has no mapping in the superblock's userns, then write+search permission on
 * the directory).
 */
export function mayCreate(deps: PermissionDeps, dir: Inode, name: string, cred: Credentials): Map<string, Inode> {
  const children = childrenOf(dir);
  if (bpfLookup(dir, name) !== undefined) {
    throw new BpfError('EEXIST', 'bpffs:exists', `'${name}' already exists`);
  }
  const ns = dir.superblock.userNs;
  if (
    deps.userNamespaces.mapUp(ns, 'uid', cred.fsuid) === INVALID_ID ||
    deps.userNamespaces.mapUp(ns, 'gid', cred.fsgid) === INVALID_ID
  ) {
    throw new BpfError('EOVERFLOW', 'bpffs:unmapped-creator', "the caller's fsuid/fsgid has no mapping in the bpffs user namespace");
  }
  genericPermission(deps, dir, cred, MAY_WRITE | MAY_EXEC);
  return children;
}

/** `bpf_mkdir` after `vfs_mkdir`'s checks; `mode` comes umasked from the VFS. */
export function bpfMkdir(deps: PermissionDeps, nextIno: InoAllocator, dir: Inode, name: string, mode: number, cred: Credentials): Inode {
  const children = mayCreate(deps, dir, name, cred);
  const inode = newInode(dir.superblock, nextIno(), dir, 'dir', mode & (S_IRWXUGO | S_ISVTX), cred);
  children.set(name, inode);
  return inode;
}

/** `check_sticky`: in a sticky directory only the file's owner, the directory's owner or CAP_FOWNER may remove. */
function stickyForbids(deps: PermissionDeps, dir: Inode, victim: Inode, cred: Credentials): boolean {
  if ((dir.mode & S_ISVTX) === 0) return false;
  if (victim.uid === cred.fsuid || dir.uid === cred.fsuid) return false;
  return !capableWrtInodeUidgid(deps, cred, victim, Capability.CAP_FOWNER);
}

/**
 * `may_delete` + `simple_unlink`/`simple_rmdir`: ENOENT for a missing name,
 * write+search permission on the directory (EACCES), the sticky bit
 * (EPERM), the kind (ENOTDIR/EISDIR), ENOTEMPTY for a directory
 * with entries.
 */
export function bpfRemove(deps: PermissionDeps, dir: Inode, name: string, cred: Credentials, isDir: boolean): void {
  const children = childrenOf(dir);
  const victim = bpfLookup(dir, name);
  if (victim === undefined) throw new BpfError('ENOENT', 'bpffs:no-entry', `'${name}' does not exist`);
  genericPermission(deps, dir, cred, MAY_WRITE | MAY_EXEC);
  if (stickyForbids(deps, dir, victim, cred)) {
    throw new BpfError('EPERM', 'bpffs:sticky', `'${name}' belongs to someone else in a sticky directory`);
  }
  if (isDir) {
    if (victim.kind !== 'dir') throw new BpfError('ENOTDIR', 'bpffs:not-a-directory', `'${name}' is not a directory`);
    if (victim.children !== undefined && victim.children.size > 0) {
      throw new BpfError('ENOTEMPTY', 'bpffs:not-empty', `'${name}' is not empty`);
    }
  } else if (victim.kind === 'dir') {
    throw new BpfError('EISDIR', 'bpffs:is-a-directory', `'${name}' is a directory`);
  }
  children.delete(name);
}
