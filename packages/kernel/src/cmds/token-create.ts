import { BpfError, type Inode, type TokenSource } from '@bpfkit/kernel-api';
import { BpfCmd, decodeTokenCreateAttr } from '@bpfkit/uapi';
import { check, checkAttr } from '../bpf/check.js';
import { isSuperblockRoot, pathString } from '../fs/path.js';
import type { SyscallContext } from '../task/syscall-context.js';

const O_RDWR = 2;

/**
 * BPF_TOKEN_CREATE: CHECK_ATTR, flags, the fd lookup (O_PATH is EBADF), then
 * the token service's checks in kernel order; the result is an O_CLOEXEC fd
 * on an unlinked `bpf-token` inode of the bpffs mount.
 */
export function tokenCreate(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_TOKEN_CREATE, bytes);
  const attr = decodeTokenCreateAttr(bytes);
  const flags = attr.flags;
  check(core, 'token_create:flags', flags === 0, 'EINVAL', 'token:flags', {
    pass: 'token_create.flags is 0',
    fail: `token_create.flags = 0x${flags.toString(16)} (must be 0)`,
  });
  const fd = attr.bpffs_fd;
  const entry = task.fdTable.get(fd);
  check(core, 'token_create:fd', entry !== undefined && !entry.file.opath, 'EBADF', 'token:bad-bpffs-fd', {
    pass: `bpffs_fd ${fd} is an open, non-O_PATH file`,
    fail: entry === undefined ? `bpffs_fd ${fd} is not open` : `bpffs_fd ${fd} is an O_PATH fd (fdget ignores it)`,
  });
  if (entry === undefined) throw new BpfError('EBADF', 'token:bad-bpffs-fd', `bpffs_fd ${fd} is not open`);
  const path = entry.file.payload.path;
  const bpffs = core.deps.bpffs;
  // Files without a path (maps, progs, fs contexts) sit at the root of the anon-inode file system.
  const source: TokenSource =
    path === undefined
      ? { opath: false, isSuperblockRoot: true, fsType: 'anon_inodefs', superblockUserNs: core.initUserNs, delegate: undefined, path: 'anon_inode:[bpf]' }
      : {
          opath: false,
          isSuperblockRoot: isSuperblockRoot(path),
          fsType: path.mnt.sb.fsType.name,
          superblockUserNs: path.mnt.sb.userNs,
          delegate: bpffs.isBpfFs(path.mnt.sb) ? bpffs.delegateMasks(path.mnt.sb) : undefined,
          path: pathString(path),
        };
  const info = core.deps.token.create(task.cred, source, core.tracer);
  const obj = core.objects.create('token', info.id, 'bpf-token', info, () => {
    core.deps.token.release(info);
  });
  const sb = path?.mnt.sb;
  const pseudoInode: Inode | undefined =
    sb === undefined
      ? undefined
      : { ino: core.inoIds.alloc(), kind: 'reg', mode: 0o600 & ~task.umask, uid: task.cred.fsuid, gid: task.cred.fsgid, superblock: sb };
  // A pseudo dentry of its own, in no directory: d_path never reaches the mount it was made on,
  // so the link reads the same wherever the bpffs is mounted (or if it is detached).
  const file = core.newFile('bpf-token', false, O_RDWR, {
    object: obj,
    ...(pseudoInode === undefined ? {} : { pseudoInode }),
    linkText: '/bpf-token (deleted)',
  });
  return task.fdTable.install(file, { cloexec: true });
}
