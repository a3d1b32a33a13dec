import { BpfError } from '@bpfkit/kernel-api';
import { BpfCmd, decodeInfoAttr } from '@bpfkit/uapi';
import { check, checkAttr } from '../bpf/check.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { btfGetInfo } from './info/btf-info.js';
import { mapGetInfo } from './info/map-info.js';
import { progGetInfo } from './info/prog-info.js';
import { linkGetInfo } from './info/link-info.js';

/**
 * BPF_OBJ_GET_INFO_BY_FD (`bpf_obj_get_info_by_fd`): CHECK_ATTR, the fd
 * (EBADFD, not EBADF, when it is not open), then the info of a program, map
 * BTF object or link; any other file is EINVAL.
 */
export function objGetInfoByFd(task: SyscallContext, bytes: Uint8Array, uattr: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_OBJ_GET_INFO_BY_FD, bytes);
  const attr = decodeInfoAttr(bytes);
  const fd = attr.bpf_fd;
  const e = task.fdTable.get(fd);
  check(core, 'obj_get_info_by_fd:fd', e !== undefined && !e.file.opath, 'EBADFD', 'info:fd-not-open', {
    pass: `bpf_fd ${fd} is open`,
    fail: `bpf_fd ${fd} is not an open fd`,
  });
  const obj = e?.file.payload.object;
  switch (obj?.kind) {
    case 'prog':
      return progGetInfo(task, obj, attr.info, attr.info_len, uattr);
    case 'map':
      return mapGetInfo(task, obj, attr.info, attr.info_len, uattr);
    case 'btf':
      return btfGetInfo(task, obj, attr.info, attr.info_len, uattr);
    case 'link':
      return linkGetInfo(task, obj, attr.info, attr.info_len, uattr);
    default:
      throw new BpfError('EINVAL', 'info:not-a-bpf-object', `fd ${fd} is not a program, map, BTF or link`);
  }
}
