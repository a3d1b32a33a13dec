import { AT_FDCWD, BpfError, MAY_READ, MAY_WRITE } from '@bpfkit/kernel-api';
import { BPF_F_PATH_FD, BPF_F_RDONLY, BPF_F_WRONLY, BpfCmd, decodeObjAttr, type ObjAttrDecoded } from '@bpfkit/uapi';
import { check, checkAttr, flagsDetail, readCString } from '../bpf/check.js';
import type { BpfObject } from '../bpf/objects.js';
import { lookupParent, lookupPath } from '../fs/namei.js';
import { sbReadonly } from '../fs/sb-flags.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { installObjectFd } from './fd-install.js';
import type { MapRecord } from '../bpf/map-record.js';
import { fileFlagCheck } from './map-create.js';

const PATH_MAX = 4096;

function pathname(task: SyscallContext, addr: bigint): string {
  const { text, truncated } = readCString((a, n) => task.memory.read(a, n), addr, PATH_MAX);
  if (truncated) throw new BpfError('ENAMETOOLONG', 'obj:path-too-long', 'pathname longer than PATH_MAX');
  if (text === '') throw new BpfError('ENOENT', 'obj:empty-path', 'empty pathname');
  return text;
}

function pathFd(task: SyscallContext, attr: ObjAttrDecoded): number {
  const fileFlags = attr.file_flags;
  const fd = attr.path_fd;
  check(task.core, 'obj:path_fd', (fileFlags & BPF_F_PATH_FD) !== 0 || fd === 0, 'EINVAL', 'obj:path-fd-without-flag', {
    pass: (fileFlags & BPF_F_PATH_FD) !== 0 ? `path_fd ${fd} with BPF_F_PATH_FD` : 'path_fd is 0: the path is relative to the cwd',
    fail: 'path_fd given without BPF_F_PATH_FD',
  });
  return (fileFlags & BPF_F_PATH_FD) !== 0 ? fd : AT_FDCWD;
}

/**
 * `bpf_fd_probe_obj`: the map, program or link behind an fd. It tries each kind in turn and
 * reports any failure, a closed or O_PATH fd included, as EINVAL.
 */
function probeObject(task: SyscallContext, fd: number): BpfObject {
  const e = task.fdTable.get(fd);
  const o = e === undefined || e.file.opath ? undefined : e.file.payload.object;
  if (o === undefined || (o.kind !== 'map' && o.kind !== 'prog' && o.kind !== 'link')) {
    const what = e === undefined ? 'not open' : e.file.opath ? 'an O_PATH fd' : 'not a map, program or link';
    throw new BpfError('EINVAL', 'obj:not-pinnable', `fd ${fd} is ${what}`);
  }
  return o;
}

/** BPF_OBJ_PIN: the object first, then the path; the pin holds a reference. */
export function objPin(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_OBJ_PIN, bytes);
  const attr = decodeObjAttr(bytes);
  const fileFlags = attr.file_flags;
  check(core, 'obj_pin:file_flags', (fileFlags & ~BPF_F_PATH_FD) === 0, 'EINVAL', 'obj:flags', flagsDetail('file_flags', fileFlags, fileFlags));
  const dirfd = pathFd(task, attr);
  const obj = probeObject(task, attr.bpf_fd);
  const path = pathname(task, attr.pathname);
  const { parent, name } = lookupParent(task.walkContext(), dirfd, path);
  if (name === '' || name === '.' || name === '..') throw new BpfError('EEXIST', 'vfs:exists', `${path} exists`);
  const ops = parent.inode.superblock.fsType.inodeOps;
  if (ops?.lookup(parent.inode, name) !== undefined || (ops === undefined && parent.inode.children?.has(name) === true)) {
    throw new BpfError('EEXIST', 'vfs:exists', `${path} exists`);
  }
  // `filename_create`'s mnt_want_write: an existing name is still EEXIST, anything else on a read-only mount EROFS.
  if (parent.mnt.readonly || sbReadonly(parent.mnt.sb)) throw new BpfError('EROFS', 'vfs:read-only', `${path}: the mount is read-only`);
  core.deps.bpffs.pin(parent.inode, name, obj.kind as 'map' | 'prog' | 'link', obj, task.cred, task.umask);
  obj.get();
  if (obj.kind === 'map') (obj.impl as MapRecord).urefs++;
  return 0;
}

/** BPF_OBJ_GET: a new fd on the object pinned at the path. */
export function objGet(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_OBJ_GET, bytes);
  const attr = decodeObjAttr(bytes);
  const fileFlags = attr.file_flags;
  check(core, 'obj_get:args', attr.bpf_fd === 0 && (fileFlags & ~(BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_PATH_FD)) === 0,
    'EINVAL', 'obj:flags', {
      pass: `bpf_fd is 0 and file_flags 0x${fileFlags.toString(16)} holds only RDONLY/WRONLY/PATH_FD`,
      fail: 'bpf_fd must be 0 and file_flags only RDONLY/WRONLY/PATH_FD',
    });
  const dirfd = pathFd(task, attr);
  fileFlagCheck(fileFlags);
  const acc = (fileFlags & BPF_F_RDONLY) !== 0 ? 0 : (fileFlags & BPF_F_WRONLY) !== 0 ? 1 : 2;
  const mask = (acc === 0 || acc === 2 ? MAY_READ : 0) | (acc === 1 || acc === 2 ? MAY_WRITE : 0);
  const p = lookupPath(task.walkContext(), dirfd, pathname(task, attr.pathname));
  const pinned = core.deps.bpffs.objGet(p.inode, task.cred, mask);
  const obj = pinned.object as BpfObject;
  const kind = obj.kind === 'map' ? 'bpf-map' : obj.kind === 'prog' ? 'bpf-prog' : obj.kind === 'link' ? 'bpf-link' : 'bpf-btf';
  return installObjectFd(task, kind, obj.get(), acc);
}
