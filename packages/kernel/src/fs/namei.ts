import { AT_FDCWD, BpfError, MAY_EXEC, type Credentials, type Inode, type InodeOperations } from '@bpfkit/kernel-api';
import type { KernelCore } from '../core.js';
import type { KFdTable } from './fdtable.js';
import type { PathRef } from './path.js';
import { genericPermission } from './permission.js';

/** What a path walk needs from the calling task. */
export interface WalkContext {
  readonly core: KernelCore;
  readonly cred: Credentials;
  readonly root: PathRef;
  readonly cwd: PathRef;
  readonly fdTable: KFdTable;
}

/** A walk that entered /proc with components left: the proc code interprets them. */
export interface ProcRest {
  readonly proc: readonly string[];
}

/** The inode operations of the file system `inode` lives on. */
export function inodeOps(core: KernelCore, inode: Inode): InodeOperations | undefined {
  return inode.superblock.fsType.inodeOps;
}

/** `inode_permission()`: the file system's own op, else generic_permission. */
export function inodePermission(core: KernelCore, inode: Inode, cred: Credentials, mask: number): void {
  const ops = inodeOps(core, inode);
  if (ops !== undefined) ops.permission(inode, cred, mask);
  else genericPermission(core, inode, cred, mask);
}

/** Crosses into whatever is mounted on `p` (topmost first), as `follow_mount` does. */
export function followMounts(p: PathRef): PathRef {
  let cur = p;
  for (;;) {
    const m = cur.mnt.ns.mountedOn(cur.mnt, cur.inode);
    if (m === undefined) return cur;
    cur = { mnt: m, inode: m.root, rel: [] };
  }
}

function lookupChild(core: KernelCore, dir: Inode, name: string): Inode | undefined {
  const ops = inodeOps(core, dir);
  return ops !== undefined ? ops.lookup(dir, name) : dir.children?.get(name);
}

function resolveRel(core: KernelCore, p: PathRef, rel: readonly string[]): PathRef {
  let inode = p.mnt.root;
  for (const name of rel) {
    const next = lookupChild(core, inode, name);
    if (next === undefined) throw new BpfError('ENOENT', 'vfs:stale-path', `lost ${name} while walking up`);
    inode = next;
  }
  return { mnt: p.mnt, inode, rel };
}

function dotdot(ctx: WalkContext, p: PathRef): PathRef {
  if (p.mnt === ctx.root.mnt && p.inode === ctx.root.inode) return p;
  if (p.rel.length > 0) return resolveRel(ctx.core, p, p.rel.slice(0, -1));
  const parent = p.mnt.parent;
  const mp = p.mnt.mountpoint;
  if (parent === undefined || mp === undefined) return p;
  return dotdot(ctx, { mnt: parent, inode: mp, rel: p.mnt.mountpointRel });
}

/** Where a walk of `path` relative to `dirfd` starts (EBADF, ENOTDIR). */
export function walkStart(ctx: WalkContext, dirfd: number, path: string): PathRef {
  if (path.startsWith('/')) return ctx.root;
  if (dirfd === AT_FDCWD) return ctx.cwd;
  const entry = ctx.fdTable.get(dirfd);
  if (entry === undefined) throw new BpfError('EBADF', 'vfs:bad-dirfd', `dirfd ${dirfd} is not open`);
  const p = entry.file.payload.path;
  if (p === undefined || p.inode.kind !== 'dir') throw new BpfError('ENOTDIR', 'vfs:dirfd-not-dir', `dirfd ${dirfd} is not a directory`);
  return p;
}

function isProc(p: PathRef): boolean {
  return p.mnt.sb.fsType.name === 'proc';
}

/**
 * `path_lookupat()`: walks `components` from `start`, checking search
 * permission on every directory and crossing mounts. Stops early inside /proc.
 */
export function walkComponents(ctx: WalkContext, start: PathRef, components: readonly string[]): PathRef | ProcRest {
  let p = start;
  for (let i = 0; i < components.length; i++) {
    const name = components[i] ?? '';
    if (name === '' || name === '.') continue;
    if (name === '..') {
      p = dotdot(ctx, p);
      continue;
    }
    if (isProc(p)) return { proc: components.slice(i).filter((c) => c !== '' && c !== '.') };
    if (p.inode.kind !== 'dir') throw new BpfError('ENOTDIR', 'vfs:not-a-directory', `${name}: a path component is not a directory`);
    inodePermission(ctx.core, p.inode, ctx.cred, MAY_EXEC);
    const child = lookupChild(ctx.core, p.inode, name);
    if (child === undefined) throw new BpfError('ENOENT', 'vfs:no-entry', `${name}: no such file or directory`);
    p = followMounts({ mnt: p.mnt, inode: child, rel: [...p.rel, name] });
  }
  return p;
}

/** Splits a path into components. ENOENT for an empty path. */
export function splitPath(path: string): string[] {
  if (path === '') throw new BpfError('ENOENT', 'vfs:empty-path', 'empty path');
  return path.split('/');
}

/** Resolves `path` (relative to `dirfd`) to a path; ENOENT for paths inside /proc. */
export function lookupPath(ctx: WalkContext, dirfd: number, path: string): PathRef {
  const r = walkComponents(ctx, walkStart(ctx, dirfd, path), splitPath(path));
  if ('proc' in r) throw new BpfError('ENOENT', 'vfs:no-entry', `${path}: not modelled under /proc`);
  return r;
}

/** Resolves everything but the last component: the parent directory and the last name. */
export function lookupParent(ctx: WalkContext, dirfd: number, path: string): { parent: PathRef; name: string } {
  const parts = splitPath(path).filter((c, i, a) => c !== '' || i === 0 || i === a.length - 1);
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  const name = parts.pop() ?? '';
  const r = walkComponents(ctx, walkStart(ctx, dirfd, path), parts);
  if ('proc' in r) throw new BpfError('EPERM', 'vfs:proc-readonly', `${path}: cannot create under /proc`);
  return { parent: r, name };
}
