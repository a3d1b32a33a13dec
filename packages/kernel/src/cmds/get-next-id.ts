import { BpfCmd, Capability, decodeGetIdAttr } from '@bpfkit/uapi';
import { capDetail, check, checkAttr, putAttrU32 } from '../bpf/check.js';
import type { BpfObjectKind } from '../bpf/objects.js';
import type { SyscallContext } from '../task/syscall-context.js';

const INT_MAX = 0x7fff_ffff;

/**
 * `bpf_obj_get_next_id` for programs, maps, BTF and links: CHECK_ATTR and
 * `start_id` below INT_MAX (EINVAL), `capable(CAP_SYS_ADMIN)` (EPERM), then
 * the smallest live id above `start_id` into `next_id` (ENOENT when none).
 */
export function objGetNextId(task: SyscallContext, cmd: number, kind: BpfObjectKind, bytes: Uint8Array, uattr: Uint8Array): number {
  const core = task.core;
  const id = `${kind}_get_next_id`;
  checkAttr(core, cmd, bytes);
  const attr = decodeGetIdAttr(bytes);
  const start = attr.start_id;
  check(core, `${id}:start_id`, start < INT_MAX, 'EINVAL', 'id:start-too-big', {
    pass: `start_id ${start} is below INT_MAX`,
    fail: `start_id ${start} is not below INT_MAX`,
  });
  check(core, `${id}:CAP_SYS_ADMIN`, core.capable(task.cred, Capability.CAP_SYS_ADMIN), 'EPERM', 'caps:missing-CAP_SYS_ADMIN',
    capDetail(`walking ${kind} ids needs CAP_SYS_ADMIN`, 'in the initial user namespace'));
  const next = core.objects.nextLiveId(kind, start + 1);
  check(core, `${id}:found`, next !== undefined, 'ENOENT', 'id:no-next', {
    pass: `${kind} #${next ?? '?'} is the next id after ${start}`,
    fail: `no ${kind} id after ${start}`,
  });
  putAttrU32(uattr, 'get_id', 'next_id', next ?? 0);
  return 0;
}

/** The object kind each GET_NEXT_ID command walks. */
export const NEXT_ID_KIND: ReadonlyMap<number, BpfObjectKind> = new Map<number, BpfObjectKind>([
  [BpfCmd.BPF_PROG_GET_NEXT_ID, 'prog'],
  [BpfCmd.BPF_MAP_GET_NEXT_ID, 'map'],
  [BpfCmd.BPF_BTF_GET_NEXT_ID, 'btf'],
  [BpfCmd.BPF_LINK_GET_NEXT_ID, 'link'],
]);
