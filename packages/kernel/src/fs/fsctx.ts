import {
  AT_FDCWD,
  BpfError,
  FSMOUNT_CLOEXEC,
  FSOPEN_CLOEXEC,
  FSPICK_CLOEXEC,
  FsconfigCmd,
  MOVE_MOUNT_F_EMPTY_PATH,
  MS_BIND,
  MS_MOVE,
  MS_PRIVATE,
  O_PATH,
  type FsContext,
  type FsParameter,
} from '@bpfkit/kernel-api';
import { Capability, MS_REC, MS_SHARED, MS_SILENT, MS_SLAVE, MS_UNBINDABLE } from '@bpfkit/uapi';
import { capDetail, traceCheck } from '../bpf/check.js';
import type { KFile, KFsContext } from './file.js';
import { Mount, MountNamespace } from './mount.js';
import { followMounts, lookupPath } from './namei.js';
import { attach, doMoveMount } from './attach.js';
import type { PathRef } from './path.js';
import { mntFlags, mntFlagsFromAttr, mntFlagsFromMs, setMntFlags } from './mnt-flags.js';
import { adoptSbFlags, parseSbFlag, reconfigureSbFlags, setLegacySbFlags } from './sb-flags.js';
import type { TaskImpl } from '../task/task.js';

/** `may_mount()`: CAP_SYS_ADMIN over the owner of the caller's mount namespace. */
export function mayMount(task: TaskImpl): void {
  const ok = task.core.nsCapable(task.cred, task.mntNs.owner, Capability.CAP_SYS_ADMIN);
  traceCheck(task.core, 'may_mount', ok, 'EPERM',
    capDetail(`CAP_SYS_ADMIN over the mount namespace owner userns#${task.mntNs.owner.id}`, 'by the caller'));
  if (!ok) throw new BpfError('EPERM', 'vfs:may-mount', 'no CAP_SYS_ADMIN over the mount namespace owner');
}

/** `mount_capable()`: FS_USERNS_MOUNT types need CAP_SYS_ADMIN in the context's userns, others in init. */
/** `FSMOUNT_VALID_FLAGS`: rdonly, nosuid, nodev, noexec, the atime field, nodiratime, nosymfollow (not idmap). */
const FSMOUNT_VALID_ATTRS = 0x0020_00ff;
const MOUNT_ATTR__ATIME = 0x70;
const MOUNT_ATTR_RELATIME = 0;
const MOUNT_ATTR_NOATIME = 0x10;
const MOUNT_ATTR_STRICTATIME = 0x20;

function mountCapable(task: TaskImpl, fc: FsContext): void {
  const ns = fc.fsType.userNsMount ? fc.userNs : task.core.initUserNs;
  const ok = task.core.nsCapable(task.cred, ns, Capability.CAP_SYS_ADMIN);
  const need = `CAP_SYS_ADMIN in userns#${ns.id}${fc.fsType.userNsMount ? ' (FS_USERNS_MOUNT)' : ''}`;
  traceCheck(task.core, 'mount_capable', ok, 'EPERM', capDetail(need, 'by the caller'));
  if (!ok) throw new BpfError('EPERM', 'vfs:mount-capable', `no CAP_SYS_ADMIN in userns#${ns.id} to create a ${fc.fsType.name} superblock`);
}

function newContext(task: TaskImpl, fsname: string, purpose: 'new' | 'reconfigure', root?: PathRef): KFsContext {
  const fsType = task.core.fsTypes.get(fsname);
  if (fsType === undefined) throw new BpfError('ENODEV', 'vfs:unknown-fs-type', `no file system type ${fsname}`);
  const fc: FsContext = {
    fsType,
    purpose,
    userNs: root !== undefined ? root.mnt.sb.userNs : task.cred.userNs,
    cred: task.cred,
    superblock: root?.mnt.sb,
    fsPrivate: undefined,
    log: [],
  };
  fsType.initFsContext(fc);
  return { fc, phase: purpose === 'new' ? 'create-params' : 'reconf-params', root };
}

function installContext(task: TaskImpl, ctx: KFsContext, cloexec: boolean): number {
  const file = task.core.newFile('fs-context', false, 2, { ctx, linkText: 'anon_inode:[fscontext]' });
  return task.fdTable.install(file, { cloexec });
}

/** `fsopen(2)`. */
export function fsopen(task: TaskImpl, fsname: string, flags: number): number {
  mayMount(task);
  if ((flags & ~FSOPEN_CLOEXEC) !== 0) throw new BpfError('EINVAL', 'vfs:fsopen-flags', `unknown fsopen flags 0x${flags.toString(16)}`);
  const ctx = newContext(task, fsname, 'new');
  return installContext(task, ctx, (flags & FSOPEN_CLOEXEC) !== 0);
}

function contextOf(task: TaskImpl, fd: number): KFsContext {
  const entry = task.fdTable.get(fd);
  if (entry === undefined || entry.file.opath) throw new BpfError('EBADF', 'vfs:bad-fd', `fd ${fd} is not open`);
  const ctx = entry.file.payload.ctx;
  if (ctx === undefined) throw new BpfError('EINVAL', 'vfs:not-fs-context', `fd ${fd} is not an fs_context`);
  return ctx;
}


/** `vfs_parse_fs_param`: superblock flags, then the file system's parser, then `source`. */
function parseParam(task: TaskImpl, ctx: KFsContext, param: FsParameter): void {
  // vfs_parse_sb_flag matches the key alone, before the file system sees it: `ro` given as a
  // string is still the superblock flag.
  if (parseSbFlag(ctx.fc, param.key)) return;
  ctx.fc.fsType.parseParam(ctx.fc, param, task.cred);
  if (param.key === 'source' && param.type === 'string' && ctx.fc.source === undefined) ctx.fc.source = param.value;
}

/** `vfs_cmd_create` / `vfs_get_tree`. */
function cmdCreate(task: TaskImpl, ctx: KFsContext): void {
  if (ctx.phase !== 'create-params') throw new BpfError('EBUSY', 'vfs:fs-context-busy', 'fs_context is not awaiting creation');
  mountCapable(task, ctx.fc);
  try {
    const sb = ctx.fc.fsType.getTree(ctx.fc, task.cred);
    adoptSbFlags(ctx.fc, sb);
    const ns = new MountNamespace(task.core.mntNsIds.alloc(), task.mntNs.owner, true);
    const mnt = new Mount(task.core.mountIds.alloc(), sb, sb.root, [], ns, ctx.fc.source ?? 'none', false);
    ctx.root = { mnt, inode: sb.root, rel: [] };
    ctx.phase = 'awaiting-mount';
  } catch (e) {
    ctx.phase = 'failed';
    throw e;
  }
}

/** `vfs_cmd_reconfigure`. */
function cmdReconfigure(task: TaskImpl, ctx: KFsContext): void {
  if (ctx.phase !== 'reconf-params') throw new BpfError('EBUSY', 'vfs:fs-context-busy', 'fs_context is not a reconfiguration');
  const sb = ctx.fc.superblock;
  if (sb === undefined) throw new BpfError('EINVAL', 'vfs:no-superblock', 'nothing to reconfigure');
  if (!task.core.nsCapable(task.cred, sb.userNs, Capability.CAP_SYS_ADMIN)) {
    ctx.phase = 'failed';
    throw new BpfError('EPERM', 'vfs:reconfigure-cap', `no CAP_SYS_ADMIN in the superblock's userns#${sb.userNs.id}`);
  }
  try {
    ctx.fc.fsType.reconfigure?.(ctx.fc, task.cred);
  } catch (e) {
    ctx.phase = 'failed';
    throw e;
  }
  reconfigureSbFlags(ctx.fc, sb);
}

/** `fsconfig(2)`. */
export function fsconfig(task: TaskImpl, fd: number, cmd: number, key: string | undefined, value: string | undefined, aux: number): void {
  if (fd < 0) throw new BpfError('EINVAL', 'vfs:fsconfig-fd', 'negative fd');
  const C = FsconfigCmd;
  const bad = (): never => {
    throw new BpfError('EINVAL', 'vfs:fsconfig-args', `bad key/value/aux for fsconfig command ${cmd}`);
  };
  switch (cmd) {
    case C.FSCONFIG_SET_FLAG:
      if (key === undefined || value !== undefined || aux !== 0) bad();
      break;
    case C.FSCONFIG_SET_STRING:
      if (key === undefined || value === undefined || aux !== 0) bad();
      break;
    case C.FSCONFIG_SET_BINARY:
      if (key === undefined || value === undefined || aux <= 0 || aux > 1024 * 1024) bad();
      break;
    case C.FSCONFIG_SET_PATH:
    case C.FSCONFIG_SET_PATH_EMPTY:
      if (key === undefined || value === undefined || (aux !== AT_FDCWD && aux < 0)) bad();
      break;
    case C.FSCONFIG_SET_FD:
      if (key === undefined || value !== undefined || aux < 0) bad();
      break;
    case C.FSCONFIG_CMD_CREATE:
    case C.FSCONFIG_CMD_CREATE_EXCL:
    case C.FSCONFIG_CMD_RECONFIGURE:
      if (key !== undefined || value !== undefined || aux !== 0) bad();
      break;
    default:
      throw new BpfError('EOPNOTSUPP', 'vfs:fsconfig-cmd', `unknown fsconfig command ${cmd}`);
  }
  const ctx = contextOf(task, fd);
  if (ctx.phase === 'failed') throw new BpfError('EBUSY', 'vfs:fs-context-failed', 'fs_context failed earlier');
  switch (cmd) {
    case C.FSCONFIG_CMD_CREATE:
    case C.FSCONFIG_CMD_CREATE_EXCL:
      cmdCreate(task, ctx);
      return;
    case C.FSCONFIG_CMD_RECONFIGURE:
      cmdReconfigure(task, ctx);
      return;
  }
  if (ctx.phase !== 'create-params' && ctx.phase !== 'reconf-params') {
    throw new BpfError('EBUSY', 'vfs:fs-context-busy', 'fs_context no longer takes parameters');
  }
  const k = key ?? '';
  let param: FsParameter;
  if (cmd === C.FSCONFIG_SET_FLAG) param = { type: 'flag', key: k };
  else if (cmd === C.FSCONFIG_SET_STRING) param = { type: 'string', key: k, value: value ?? '' };
  else if (cmd === C.FSCONFIG_SET_BINARY) param = { type: 'blob', key: k };
  else if (cmd === C.FSCONFIG_SET_FD) param = { type: 'file', key: k };
  else param = { type: 'filename', key: k };
  parseParam(task, ctx, param);
}

/** `read()` on an fs_context fd: the queued messages, oldest first; reading drains them. */
export function readFsLog(task: TaskImpl, fd: number): string[] {
  const ctx = contextOf(task, fd);
  return ctx.fc.log.splice(0, ctx.fc.log.length);
}

function dissolveIfDetached(file: KFile): void {
  const mnt = file.payload.path?.mnt;
  if (mnt !== undefined && mnt.ns.anonymous && mnt.ns.root === mnt) mnt.ns.mounts.length = 0;
}

/** `fsmount(2)`: an O_PATH fd on a new detached mount of the created superblock. */
export function fsmount(task: TaskImpl, fd: number, flags: number, attrFlags: number): number {
  mayMount(task);
  if ((flags & ~FSMOUNT_CLOEXEC) !== 0) throw new BpfError('EINVAL', 'vfs:fsmount-flags', `unknown fsmount flags 0x${flags.toString(16)}`);
  if ((attrFlags & ~FSMOUNT_VALID_ATTRS) !== 0) throw new BpfError('EINVAL', 'vfs:fsmount-attr', `unknown mount attributes 0x${attrFlags.toString(16)}`);
  const atime = attrFlags & MOUNT_ATTR__ATIME;
  if (atime !== MOUNT_ATTR_RELATIME && atime !== MOUNT_ATTR_NOATIME && atime !== MOUNT_ATTR_STRICTATIME) {
    throw new BpfError('EINVAL', 'vfs:fsmount-atime', `mount attributes 0x${attrFlags.toString(16)} name no single atime mode`);
  }
  const ctx = contextOf(task, fd);
  if (ctx.root === undefined) throw new BpfError('EINVAL', 'vfs:fs-context-not-created', 'fs_context has no superblock to mount');
  if (ctx.phase !== 'awaiting-mount') throw new BpfError('EBUSY', 'vfs:fs-context-busy', 'fs_context was mounted already or is a reconfiguration');
  const sb = ctx.root.mnt.sb;
  const ns = new MountNamespace(task.core.mntNsIds.alloc(), task.mntNs.owner, true);
  const mnt = new Mount(task.core.mountIds.alloc(), sb, sb.root, [], ns, ctx.fc.source ?? 'none', (attrFlags & 1) !== 0);
  setMntFlags(mnt, mntFlagsFromAttr(attrFlags));
  ns.add(mnt);
  ns.root = mnt;
  const file = task.core.newFile('path', true, O_PATH, { path: { mnt, inode: sb.root, rel: [] } }, dissolveIfDetached);
  const out = task.fdTable.install(file, { cloexec: (flags & FSMOUNT_CLOEXEC) !== 0 });
  ctx.phase = 'mounted';
  return out;
}

/** `fspick(2)`: a reconfiguration context for the superblock mounted at `path`. */
export function fspick(task: TaskImpl, dirfd: number, path: string, flags: number): number {
  mayMount(task);
  if ((flags & ~(FSPICK_CLOEXEC | 2 | 4 | 8)) !== 0) throw new BpfError('EINVAL', 'vfs:fspick-flags', `unknown fspick flags 0x${flags.toString(16)}`);
  const target = lookupPath(task.walkContext(), dirfd, path);
  if (target.inode !== target.mnt.root) throw new BpfError('EINVAL', 'vfs:fspick-not-mount-root', `${path} is not the root of a mount`);
  const ctx = newContext(task, target.mnt.sb.fsType.name, 'reconfigure', target);
  return installContext(task, ctx, (flags & FSPICK_CLOEXEC) !== 0);
}

/** `move_mount(2)`: attaches a detached mount (or moves a mount) to `toPath`. */
export function moveMount(task: TaskImpl, fromDirfd: number, fromPath: string, toDirfd: number, toPath: string, flags: number): void {
  mayMount(task);
  if ((flags & ~0x377) !== 0) throw new BpfError('EINVAL', 'vfs:move-mount-flags', `unknown move_mount flags 0x${flags.toString(16)}`);
  let from: PathRef;
  if ((flags & MOVE_MOUNT_F_EMPTY_PATH) !== 0 && fromPath === '') {
    const entry = task.fdTable.get(fromDirfd);
    const p = entry?.file.payload.path;
    if (entry === undefined) throw new BpfError('EBADF', 'vfs:bad-fd', `fd ${fromDirfd} is not open`);
    if (p === undefined) throw new BpfError('EINVAL', 'vfs:not-a-path', `fd ${fromDirfd} has no path`);
    from = p;
  } else {
    from = lookupPath(task.walkContext(), fromDirfd, fromPath);
  }
  const to = lookupPath(task.walkContext(), toDirfd, toPath);
  doMoveMount(task, from, to);
}

/** Splits mount(2) data into parameters the way `vfs_parse_monolithic_sep` does. */
function monolithicParams(data: string): FsParameter[] {
  const out: FsParameter[] = [];
  for (const part of data.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) out.push({ type: 'flag', key: part });
    else out.push({ type: 'string', key: part.slice(0, eq), value: part.slice(eq + 1) });
  }
  return out;
}

/** The propagation types of mount(2): exactly one of them (with MS_REC and MS_SILENT at most) changes a mount's type. */
const PROPAGATION_FLAGS = MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE;

/**
 * Classic `mount(2)` in the order of `path_mount`: bind mounts, propagation changes (all mounts are
 * private here), moves (MS_MOVE), then new mounts.
 */
export function mount(task: TaskImpl, source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
  const wc = task.walkContext();
  const at = lookupPath(wc, AT_FDCWD, target);
  mayMount(task);
  if ((flags & MS_BIND) !== 0) {
    const old = lookupPath(wc, AT_FDCWD, source ?? '');
    if (old.mnt.ns !== task.mntNs) throw new BpfError('EINVAL', 'vfs:bind-foreign-mount', 'bind source is not in the caller\'s mount namespace');
    const mnt = new Mount(task.core.mountIds.alloc(), old.mnt.sb, old.inode, [...old.mnt.rootRel, ...old.rel], task.mntNs, old.mnt.source, old.mnt.readonly);
    setMntFlags(mnt, mntFlags(old.mnt));
    attach(task, mnt, followMounts(at));
    return;
  }
  if ((flags & PROPAGATION_FLAGS) !== 0) {
    if (at.inode !== at.mnt.root) throw new BpfError('EINVAL', 'vfs:not-mount-root', `${target} is not a mount point`);
    const type = flags & ~(MS_REC | MS_SILENT);
    // `flags_to_propagation_type`: one type and nothing else (MS_MOVE | MS_PRIVATE is EINVAL on 6.18).
    if ((type & (type - 1)) !== 0) {
      throw new BpfError('EINVAL', 'vfs:propagation-flags', `mount flags 0x${(flags >>> 0).toString(16)}: a propagation change takes one type and only MS_REC besides`);
    }
    return;
  }
  if ((flags & MS_MOVE) !== 0) {
    // `do_move_mount_old`: the source names the mount to move (LOOKUP_FOLLOW), the target is where it goes.
    if (source === null || source === '') throw new BpfError('EINVAL', 'vfs:move-no-source', 'mount(MS_MOVE) without a source path');
    doMoveMount(task, lookupPath(wc, AT_FDCWD, source), at);
    return;
  }
  if (fstype === null) throw new BpfError('EINVAL', 'vfs:no-fstype', 'mount(2) without a file system type');
  const ctx = newContext(task, fstype, 'new');
  setLegacySbFlags(ctx.fc, flags);
  if (source !== null) parseParam(task, ctx, { type: 'string', key: 'source', value: source });
  for (const p of monolithicParams(data ?? '')) parseParam(task, ctx, p);
  mountCapable(task, ctx.fc);
  const sb = ctx.fc.fsType.getTree(ctx.fc, task.cred);
  adoptSbFlags(ctx.fc, sb);
  const mnt = new Mount(task.core.mountIds.alloc(), sb, sb.root, [], task.mntNs, ctx.fc.source ?? 'none', (flags & 1) !== 0);
  setMntFlags(mnt, mntFlagsFromMs(flags));
  attach(task, mnt, followMounts(at));
}
