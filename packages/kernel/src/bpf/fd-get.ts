import { BpfError } from '@bpfkit/kernel-api';
import type { KernelCore } from '../core.js';
import type { KFile } from '../fs/file.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { check } from './check.js';
import type { MapRecord } from './map-record.js';
import type { BpfObject } from './objects.js';
import type { ProgRecord } from './prog-record.js';

/** A map reached through an fd: the object, its record and the file (whose mode limits syscall access). */
export interface MapFd {
  readonly obj: BpfObject;
  readonly map: MapRecord;
  readonly file: KFile;
}

/** A program reached through an fd. */
export interface ProgFd {
  readonly obj: BpfObject;
  readonly prog: ProgRecord;
}

function openFile(task: SyscallContext, fd: number, id: string, what: string): KFile {
  const e = task.fdTable.get(fd);
  const ok = e !== undefined && !e.file.opath;
  check(task.core, `${id}:fd`, ok, 'EBADF', 'fd:not-open', {
    pass: `${what} ${fd} is an open fd`,
    fail: `${what} ${fd} is not an open fd`,
  });
  if (e === undefined) throw new BpfError('EBADF', 'fd:not-open', `${what} ${fd} is not an open fd`);
  return e.file;
}

/** `__bpf_map_get`: EBADF when the fd is not open (or O_PATH), EINVAL when it is not a map. */
export function mapGet(task: SyscallContext, fd: number, id: string): MapFd {
  const file = openFile(task, fd, id, 'map_fd');
  const obj = file.payload.object;
  check(task.core, `${id}:is-map`, obj?.kind === 'map', 'EINVAL', 'map:not-a-map', {
    pass: `fd ${fd} is map #${obj?.id ?? '?'}`,
    fail: `fd ${fd} is not a BPF map`,
  });
  if (obj === undefined) throw new BpfError('EINVAL', 'map:not-a-map', `fd ${fd} is not a BPF map`);
  return { obj, map: obj.impl as MapRecord, file };
}

/** `bpf_prog_get`: EBADF when the fd is not open, EINVAL when it is not a program. */
export function progGet(task: SyscallContext, fd: number, id: string): ProgFd {
  const file = openFile(task, fd, id, 'prog_fd');
  const obj = file.payload.object;
  check(task.core, `${id}:is-prog`, obj?.kind === 'prog', 'EINVAL', 'prog:not-a-prog', {
    pass: `fd ${fd} is program #${obj?.id ?? '?'}`,
    fail: `fd ${fd} is not a BPF program`,
  });
  if (obj === undefined) throw new BpfError('EINVAL', 'prog:not-a-prog', `fd ${fd} is not a BPF program`);
  return { obj, prog: obj.impl as ProgRecord };
}

/** What `map_get_sys_perms` leaves of the file's mode: a frozen map is never writable from the syscall side. */
export interface SysPerms {
  readonly read: boolean;
  readonly write: boolean;
}

/** `map_get_sys_perms`: FMODE_CAN_READ/WRITE from the fd's access mode, write dropped once frozen. */
export function mapSysPerms(m: MapFd): SysPerms {
  const acc = m.file.flags & 3;
  return { read: acc !== 1, write: acc !== 0 && !m.map.frozen };
}

function accessWhy(m: MapFd, want: 'read' | 'write'): string {
  if (want === 'write' && m.map.frozen) return `map #${m.obj.id} is frozen`;
  return `the fd was opened ${(m.file.flags & 3) === 0 ? 'read-only (BPF_F_RDONLY)' : 'write-only (BPF_F_WRONLY)'}`;
}

/** Requires read and/or write access through this fd (EPERM), traced. */
export function requireMapAccess(core: KernelCore, m: MapFd, id: string, read: boolean, write: boolean): void {
  const perms = mapSysPerms(m);
  if (read) {
    check(core, `${id}:FMODE_CAN_READ`, perms.read, 'EPERM', 'map:fd-not-readable', {
      pass: `the map fd may read map #${m.obj.id}`,
      fail: `cannot read map #${m.obj.id} through this fd: ${accessWhy(m, 'read')}`,
    }, 'use an fd opened without BPF_F_WRONLY (MAP_GET_FD_BY_ID or OBJ_GET with open/file flags 0)');
  }
  if (write) {
    check(core, `${id}:FMODE_CAN_WRITE`, perms.write, 'EPERM', 'map:fd-not-writable', {
      pass: `the map fd may write map #${m.obj.id}`,
      fail: `cannot write map #${m.obj.id} through this fd: ${accessWhy(m, 'write')}`,
    }, m.map.frozen
      ? 'a frozen map stays read-only from user space; programs may still write it unless it is BPF_F_RDONLY_PROG'
      : 'use an fd opened without BPF_F_RDONLY (MAP_GET_FD_BY_ID or OBJ_GET with open/file flags 0)');
  }
}
