import { BpfError } from '@bpfkit/kernel-api';
import { BPF_F_REPLACE, BpfCmd, Capability, decodeGetIdAttr, decodeLinkDetachAttr, decodeLinkUpdateAttr } from '@bpfkit/uapi';
import { capDetail, check, checkAttr, flagsDetail, traceCheck } from '../bpf/check.js';
import { progGet } from '../bpf/fd-get.js';
import { linkGet } from '../bpf/link-get.js';
import type { SyscallContext } from '../task/syscall-context.js';
import type { BpfObject } from '../bpf/objects.js';
import { installObjectFd } from './fd-install.js';
import { iterLinkUpdate } from './iter-link.js';

/**
 * BPF_LINK_DETACH (`link_detach`): CHECK_ATTR, the link fd (EBADF/EINVAL), then the
 * link type's detach. Raw tracepoint, tracing and perf event links have none: EOPNOTSUPP,
 * as on 6.18 (they detach when their last fd or pin goes).
 */
export function linkDetach(task: SyscallContext, bytes: Uint8Array): number {
  checkAttr(task.core, BpfCmd.BPF_LINK_DETACH, bytes);
  const { obj, link } = linkGet(task, decodeLinkDetachAttr(bytes).link_fd, 'link_detach');
  const why = `link #${obj.id} (${link.target.kind}) has no detach operation`;
  traceCheck(task.core, 'link_detach:ops', false, 'EOPNOTSUPP', { pass: why, fail: why }, 'close every fd and unpin the link to detach it');
  throw new BpfError('EOPNOTSUPP', 'link:no-detach', why);
}

/**
 * BPF_LINK_UPDATE (`link_update`): CHECK_ATTR, only BPF_F_REPLACE in flags (EINVAL), the
 * link fd, the new program fd, the old one with BPF_F_REPLACE (an old fd without the flag
 * is EINVAL), then the link type's update: iterator links swap their program (see
 * `iterLinkUpdate`); raw tracepoint, tracing and perf event links cannot (EINVAL).
 */
export function linkUpdate(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_LINK_UPDATE, bytes);
  const attr = decodeLinkUpdateAttr(bytes);
  const flags = attr.flags;
  check(core, 'link_update:flags', (flags & ~BPF_F_REPLACE) === 0, 'EINVAL', 'link:flags', flagsDetail('flags', flags, flags & ~BPF_F_REPLACE));
  const { obj, link } = linkGet(task, attr.link_fd, 'link_update');
  const newProg = progGet(task, attr.new_prog_fd, 'link_update:new_prog_fd').obj;
  let oldProg: BpfObject | undefined;
  if ((flags & BPF_F_REPLACE) !== 0) oldProg = progGet(task, attr.old_prog_fd, 'link_update:old_prog_fd').obj;
  else {
    check(core, 'link_update:old_prog_fd', attr.old_prog_fd === 0, 'EINVAL', 'link:old-prog-without-replace', {
      pass: 'no old_prog_fd without BPF_F_REPLACE',
      fail: 'old_prog_fd given without BPF_F_REPLACE',
    });
  }
  if (link.target.kind === 'iter') {
    iterLinkUpdate(link, newProg, oldProg);
    return 0;
  }
  const why = `link #${obj.id} cannot change its program (raw tracepoint, tracing and perf event links have no update_prog)`;
  traceCheck(core, 'link_update:ops', false, 'EINVAL', { pass: why, fail: why });
  throw new BpfError('EINVAL', 'link:no-update', why);
}

/**
 * BPF_LINK_GET_FD_BY_ID (`bpf_link_get_fd_by_id`): CHECK_ATTR (nothing past `link_id`),
 * `capable(CAP_SYS_ADMIN)` (EPERM), the id (ENOENT, also for 0), then a new fd.
 */
export function linkGetFdById(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_LINK_GET_FD_BY_ID, bytes);
  const id = decodeGetIdAttr(bytes).link_id;
  check(core, 'link_get_fd_by_id:CAP_SYS_ADMIN', core.capable(task.cred, Capability.CAP_SYS_ADMIN), 'EPERM', 'caps:missing-CAP_SYS_ADMIN',
    capDetail('LINK_GET_FD_BY_ID needs CAP_SYS_ADMIN', 'in the initial user namespace'));
  const obj = id === 0 ? undefined : core.objects.byId('link', id);
  check(core, 'link_get_fd_by_id:id', obj !== undefined, 'ENOENT', 'id:no-such-link', {
    pass: `link #${id} exists`,
    fail: `no link with id ${id}`,
  });
  if (obj === undefined) throw new BpfError('ENOENT', 'id:no-such-link', `no link with id ${id}`);
  return installObjectFd(task, 'bpf-link', obj.get());
}
