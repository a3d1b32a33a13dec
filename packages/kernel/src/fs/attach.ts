import { BpfError } from '@bpfkit/kernel-api';
import type { TaskImpl } from '../task/task.js';
import type { Mount } from './mount.js';
import { pathString, type PathRef } from './path.js';

/**
 * Attaches `mnt` on `at` in the caller's namespace. A detached mount (fsmount, open_tree) brings
 * every mount of its anonymous namespace along; a mount that is already attached moves with the
 * mounts below it.
 */
export function attach(task: TaskImpl, mnt: Mount, at: PathRef): void {
  mnt.parent = at.mnt;
  mnt.mountpoint = at.inode;
  mnt.mountpointRel = at.rel;
  mnt.mountpointPath = pathString(at);
  const ns = task.mntNs;
  if (mnt.ns === ns && ns.mounts.includes(mnt)) {
    // A move keeps the mount's place in the namespace (mountinfo lists mounts by id); only the paths change.
    renameBelow(mnt);
    return;
  }
  const moving = mnt.ns.anonymous ? [...mnt.ns.mounts] : [mnt];
  if (mnt.ns.anonymous) mnt.ns.mounts.length = 0;
  for (const m of moving) {
    if (m !== mnt) {
      const base = m.mountpointPath === '/' ? '' : m.mountpointPath;
      m.mountpointPath = `${mnt.mountpointPath === '/' ? '' : mnt.mountpointPath}${base}` || '/';
    }
    ns.add(m);
  }
}

/** The mount points of every mount below `top`, from its (new) place. */
function renameBelow(top: Mount): void {
  for (const m of top.ns.mounts) {
    if (m.parent !== top || m === top) continue;
    m.mountpointPath = pathString({ mnt: top, inode: m.mountpoint ?? top.root, rel: m.mountpointRel });
    renameBelow(m);
  }
}

/**
 * `do_move_mount`, shared by move_mount(2) and mount(2) with MS_MOVE: `from` must be the root of a
 * mount in the caller's namespace (or of a detached mount), `to` a place of the same kind (directory
 * or not) in the caller's namespace, and not inside the mount being moved. Every mount is private
 * here, so the kernel's shared-parent and unbindable refusals never apply; locked mounts are not
 * modelled.
 */
export function doMoveMount(task: TaskImpl, from: PathRef, to: PathRef): void {
  const old = from.mnt;
  const attached = old.parent !== undefined;
  if (to.mnt.ns !== task.mntNs) throw new BpfError('EINVAL', 'vfs:move-target-foreign', "target is not in the caller's mount namespace");
  if (attached ? old.ns !== task.mntNs : !(old.ns.anonymous && old.ns.root === old)) {
    throw new BpfError('EINVAL', 'vfs:move-foreign-mount', "source mount is neither in the caller's namespace nor a detached mount's root");
  }
  if (from.inode !== old.root) throw new BpfError('EINVAL', 'vfs:move-not-mount-root', `${pathString(from)} is not the root of a mount`);
  if ((from.inode.kind === 'dir') !== (to.inode.kind === 'dir')) {
    throw new BpfError('EINVAL', 'vfs:move-kind-mismatch', 'a directory mount moves onto a directory, anything else onto a non-directory');
  }
  for (let p: Mount | undefined = to.mnt; p?.parent !== undefined; p = p.parent) {
    if (p === old) throw new BpfError('ELOOP', 'vfs:move-into-itself', `${pathString(to)} is inside the mount being moved`);
  }
  attach(task, old, to);
}
