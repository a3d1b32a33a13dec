import {
  BpfError,
  MAY_EXEC,
  MAY_WRITE,
  type Credentials,
  type FileSystemType,
  type Inode,
  type InodeOperations,
  type SuperBlock,
  type UserNamespace,
} from '@bpfkit/kernel-api';
import type { KernelCore } from '../core.js';
import { genericPermission } from './permission.js';

interface SimpleInode extends Inode {
  children?: Map<string, Inode>;
}

function newDir(core: KernelCore, sb: SuperBlock | undefined, mode: number, uid: number, gid: number): SimpleInode {
  return { ino: core.inoIds.alloc(), kind: 'dir', mode, uid, gid, superblock: sb as SuperBlock, children: new Map() };
}

/**
 * Inode operations of the kernel's own in-memory file systems (the root
 * file system and /proc's directory): generic permission, `may_create`.
 */
export function simpleInodeOps(core: KernelCore, writable: boolean): InodeOperations {
  const ops: InodeOperations = {
    lookup(dir, name) {
      return dir.children?.get(name);
    },
    mkdir(dir, name, mode, cred) {
      if (!writable) throw new BpfError('EPERM', 'vfs:read-only-fs', 'this file system has no mkdir');
      const children = dir.children;
      if (children === undefined) throw new BpfError('ENOTDIR', 'vfs:not-a-directory', `not a directory`);
      if (children.has(name)) throw new BpfError('EEXIST', 'vfs:exists', `${name} exists`);
      mayCreate(core, dir, cred);
      const inode = newDir(core, dir.superblock, mode & 0o7777, cred.fsuid, cred.fsgid);
      children.set(name, inode);
      return inode;
    },
    unlink(dir, name, cred) {
      remove(core, ops, dir, name, cred, false);
    },
    rmdir(dir, name, cred) {
      remove(core, ops, dir, name, cred, true);
    },
    permission(inode, cred, mask) {
      genericPermission(core, inode, cred, mask);
    },
  };
  return ops;
}

function mayCreate(core: KernelCore, dir: Inode, cred: Credentials): void {
  const u = core.deps.userNamespaces;
  const sbNs = dir.superblock.userNs;
  if (u.mapUp(sbNs, 'uid', cred.fsuid) === -1 || u.mapUp(sbNs, 'gid', cred.fsgid) === -1) {
    throw new BpfError('EOVERFLOW', 'vfs:fsuid-unmapped', 'caller fsuid/fsgid has no mapping in the superblock userns');
  }
  genericPermission(core, dir, cred, MAY_WRITE | MAY_EXEC);
}

function remove(core: KernelCore, ops: InodeOperations, dir: Inode, name: string, cred: Credentials, isDir: boolean): void {
  const child = dir.children?.get(name);
  if (child === undefined) throw new BpfError('ENOENT', 'vfs:no-entry', `${name} does not exist`);
  if (isDir !== (child.kind === 'dir')) {
    throw new BpfError(isDir ? 'ENOTDIR' : 'EISDIR', 'vfs:wrong-type', `${name}: wrong file type`);
  }
  if (isDir && (child.children?.size ?? 0) > 0) throw new BpfError('ENOTEMPTY', 'vfs:not-empty', `${name} not empty`);
  ops.permission(dir, cred, MAY_WRITE | MAY_EXEC);
  dir.children?.delete(name);
}

/**
 * A kernel-internal file system type (`rootfs`, `proc`): instances are made by
 * the kernel at boot, never through fsopen(), so its fs_context ops refuse.
 */
export function simpleFsType(core: KernelCore, name: string, writable: boolean): FileSystemType {
  const refuse = (): never => {
    throw new BpfError('EINVAL', 'vfs:internal-fs', `${name} cannot be configured through fsopen`);
  };
  return {
    name,
    userNsMount: false,
    initFsContext: () => refuse(),
    parseParam: () => refuse(),
    getTree: () => refuse(),
    reconfigure: undefined,
    showOptions: () => '',
    inodeOps: simpleInodeOps(core, writable),
  };
}

/** A superblock of a kernel-internal type with an empty root directory. */
export function simpleSuperBlock(core: KernelCore, fsType: FileSystemType, userNs: UserNamespace, rootMode: number): SuperBlock {
  const root = newDir(core, undefined, rootMode, 0, 0);
  const sb: SuperBlock = { id: core.sbIds.alloc(), fsType, userNs, root, fsInfo: undefined };
  (root as { superblock: SuperBlock }).superblock = sb;
  return sb;
}
