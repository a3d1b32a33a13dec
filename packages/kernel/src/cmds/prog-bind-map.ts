import { BpfCmd, decodeAttrGroup } from '@bpfkit/uapi';
import { check, checkAttr, flagsDetail } from '../bpf/check.js';
import { mapGet, progGet } from '../bpf/fd-get.js';
import type { SyscallContext } from '../task/syscall-context.js';

const ID = 'prog_bind_map';

/**
 * BPF_PROG_BIND_MAP (`bpf_prog_bind_map`): CHECK_ATTR, `flags` 0 (EINVAL),
 * the program fd, the map fd, then the map joins the program's used maps
 * (kept alive with it, listed in its info) unless it is there already.
 */
export function progBindMap(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_PROG_BIND_MAP, bytes);
  const attr = decodeAttrGroup('prog_bind_map', bytes);
  check(core, `${ID}:flags`, attr.flags === 0, 'EINVAL', 'prog:bind-map-flags', flagsDetail('flags', attr.flags, attr.flags));
  const { prog } = progGet(task, attr.prog_fd, ID);
  const m = mapGet(task, attr.map_fd, ID);
  if (!prog.usedMaps.includes(m.obj)) prog.usedMaps.push(m.obj.get());
  return 0;
}
