import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import { BpfMapType as M } from '@bpfkit/uapi';
import type { MapRecord } from '../bpf/map-record.js';
import type { SyscallContext } from '../task/syscall-context.js';

/**
 * Local storages take an fd of the owner as their syscall key
 * (`bpf_fd_sk_storage_*`, `bpf_pid_task_storage_*`, `bpf_fd_inode_storage_*`,
 * `bpf_cgrp_storage_*`): not open is EBADF; a socket storage given a file
 * that is no socket is ENOTSOCK; the simulated kernel has no pidfds or cgroup
 * fds, so task and cgroup storage refuse every fd (EBADF); inode storage
 * takes any open file.
 */
export function checkStorageKeyFd(task: SyscallContext, map: MapRecord, key: Uint8Array): void {
  const type = map.info.mapType;
  if (type !== M.BPF_MAP_TYPE_SK_STORAGE && type !== M.BPF_MAP_TYPE_TASK_STORAGE && type !== M.BPF_MAP_TYPE_INODE_STORAGE && type !== M.BPF_MAP_TYPE_CGRP_STORAGE) return;
  const fd = key.length >= 4 ? new DataView(key.buffer, key.byteOffset, 4).getInt32(0, true) : -1;
  const e = task.fdTable.get(fd);
  if (e === undefined || e.file.opath) throw new BpfError('EBADF', 'map:storage-fd', `fd ${fd} is not open`);
  if (type === M.BPF_MAP_TYPE_SK_STORAGE) throw new BpfError('ENOTSOCK', 'map:storage-not-a-socket', `fd ${fd} is not a socket`);
  if (type !== M.BPF_MAP_TYPE_INODE_STORAGE) throw new BpfError('EBADF', 'map:storage-wrong-fd', `fd ${fd} is not a ${type === M.BPF_MAP_TYPE_TASK_STORAGE ? 'pidfd' : 'cgroup'}`);
}

/**
 * Runs a storage lookup or delete whose key fd is open: the map knows no
 * storage for it, which the kernel reports as ENOENT (the map says EBADF,
 * not knowing the fd is open).
 */
export function withOpenStorageKey<T>(map: MapRecord, op: () => T): T {
  try {
    return op();
  } catch (e) {
    if (map.info.mapType === M.BPF_MAP_TYPE_INODE_STORAGE && isBpfError(e, 'EBADF')) {
      throw new BpfError('ENOENT', 'map:no-storage', 'the file has no storage in this map', { cause: e });
    }
    throw e;
  }
}
