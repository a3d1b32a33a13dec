import { BpfError, type Credentials } from '@bpfkit/kernel-api';
import { mapPutUref, type MapRecord } from '../bpf/map-record.js';
import { BpfObject } from '../bpf/objects.js';
import { lookupParent, type WalkContext } from './namei.js';

/**
 * `do_unlinkat` / `do_rmdir`: walk to the parent; refuse `.`, `..` and `/`
 * the way the kernel does; refuse a mount point (EBUSY); then the file
 * system's unlink or rmdir with its own checks. A bpffs pin holds a reference
 * on its object, taken by BPF_OBJ_PIN: once the entry is gone the kernel drops
 * it, as `bpf_free_inode` does, so an unpinned object with no fds is freed.
 */
export function removeEntry(ctx: WalkContext, dirfd: number, path: string, isDir: boolean, cred: Credentials): void {
  const { parent, name } = lookupParent(ctx, dirfd, path);
  if (name === '' || name === '.' || name === '..') {
    if (!isDir) throw new BpfError('EISDIR', 'vfs:is-a-directory', `${path} is a directory`);
    if (name === '..') throw new BpfError('ENOTEMPTY', 'vfs:not-empty', `${path} is not empty`);
    if (name === '.') throw new BpfError('EINVAL', 'vfs:rmdir-dot', `${path}: cannot remove '.'`);
    throw new BpfError('EBUSY', 'vfs:busy', `${path} is the root`);
  }
  if (parent.inode.kind !== 'dir') throw new BpfError('ENOTDIR', 'vfs:not-a-directory', `parent of ${path} is not a directory`);
  const ops = parent.inode.superblock.fsType.inodeOps;
  if (ops === undefined) throw new BpfError('EPERM', 'vfs:no-unlink', `${parent.mnt.sb.fsType.name} cannot remove entries`);
  const victim = ops.lookup(parent.inode, name);
  if (victim !== undefined && parent.mnt.ns.mountedOn(parent.mnt, victim) !== undefined) {
    throw new BpfError('EBUSY', 'vfs:busy', `${path} is a mount point`);
  }
  if (isDir) ops.rmdir(parent.inode, name, cred);
  else ops.unlink(parent.inode, name, cred);
  if (victim?.object instanceof BpfObject) {
    if (victim.object.kind === 'map') mapPutUref(victim.object.impl as MapRecord);
    victim.object.put();
  }
}
