import { BpfError } from '@bpfkit/kernel-api';
import { BPF_F_RDONLY, BPF_F_WRONLY, BpfCmd, Capability, decodeGetIdAttr } from '@bpfkit/uapi';
import { capDetail, check, checkAttr, flagsDetail } from '../bpf/check.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { installObjectFd } from './fd-install.js';
import { fileAccessMode, fileFlagCheck } from './map-create.js';

function requireSysAdmin(task: SyscallContext, id: string, what: string): void {
  check(task.core, `${id}:CAP_SYS_ADMIN`, task.core.capable(task.cred, Capability.CAP_SYS_ADMIN), 'EPERM', 'caps:missing-CAP_SYS_ADMIN',
    capDetail(`${what} needs CAP_SYS_ADMIN`, 'in the initial user namespace'));
}

/**
 * BPF_PROG_GET_FD_BY_ID (`bpf_prog_get_fd_by_id`): CHECK_ATTR, CAP_SYS_ADMIN,
 * the id (ENOENT, also for id 0), then a read-write fd.
 */
export function progGetFdById(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_PROG_GET_FD_BY_ID, bytes);
  const id = decodeGetIdAttr(bytes).prog_id;
  requireSysAdmin(task, 'prog_get_fd_by_id', 'PROG_GET_FD_BY_ID');
  const obj = id === 0 ? undefined : core.objects.byId('prog', id);
  check(core, 'prog_get_fd_by_id:id', obj !== undefined, 'ENOENT', 'id:no-such-prog', {
    pass: `program #${id} exists`,
    fail: `no program with id ${id}`,
  });
  if (obj === undefined) throw new BpfError('ENOENT', 'id:no-such-prog', `no program with id ${id}`);
  return installObjectFd(task, 'bpf-prog', obj.get());
}

/**
 * BPF_MAP_GET_FD_BY_ID (`bpf_map_get_fd_by_id`): CHECK_ATTR and `open_flags`
 * only RDONLY/WRONLY (EINVAL), CAP_SYS_ADMIN, not both (EINVAL), the id
 * (ENOENT), then an fd with that access mode (`security_bpf_map` is not
 * modelled: the security stack has no such hook yet).
 */
export function mapGetFdById(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_MAP_GET_FD_BY_ID, bytes);
  const attr = decodeGetIdAttr(bytes);
  const flags = attr.open_flags;
  const known = BPF_F_RDONLY | BPF_F_WRONLY;
  check(core, 'map_get_fd_by_id:open_flags', (flags & ~known) === 0, 'EINVAL', 'map:open-flags', flagsDetail('open_flags', flags, flags & ~known));
  requireSysAdmin(task, 'map_get_fd_by_id', 'MAP_GET_FD_BY_ID');
  fileFlagCheck(flags);
  const id = attr.map_id;
  const obj = core.objects.byId('map', id);
  check(core, 'map_get_fd_by_id:id', obj !== undefined, 'ENOENT', 'id:no-such-map', {
    pass: `map #${id} exists`,
    fail: `no map with id ${id}`,
  });
  if (obj === undefined) throw new BpfError('ENOENT', 'id:no-such-map', `no map with id ${id}`);
  return installObjectFd(task, 'bpf-map', obj.get(), fileAccessMode(flags));
}
