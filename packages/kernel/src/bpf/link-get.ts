import { BpfError } from '@bpfkit/kernel-api';
import type { SyscallContext } from '../task/syscall-context.js';
import { check } from './check.js';
import type { LinkRecord } from './link-record.js';
import type { BpfObject } from './objects.js';

/** A link reached through an fd. */
export interface LinkFd {
  readonly obj: BpfObject;
  readonly link: LinkRecord;
}

/** `bpf_link_get_from_fd`: EBADF when the fd is not open (or O_PATH), EINVAL when it is not a link. */
export function linkGet(task: SyscallContext, fd: number, id: string): LinkFd {
  const e = task.fdTable.get(fd);
  check(task.core, `${id}:fd`, e !== undefined && !e.file.opath, 'EBADF', 'fd:not-open', {
    pass: `link_fd ${fd} is an open fd`,
    fail: `link_fd ${fd} is not an open fd`,
  });
  const obj = e?.file.payload.object;
  check(task.core, `${id}:is-link`, obj?.kind === 'link', 'EINVAL', 'link:not-a-link', {
    pass: `fd ${fd} is link #${obj?.id ?? '?'}`,
    fail: `fd ${fd} is not a BPF link`,
  });
  if (obj === undefined) throw new BpfError('EINVAL', 'link:not-a-link', `fd ${fd} is not a BPF link`);
  return { obj, link: obj.impl as LinkRecord };
}
