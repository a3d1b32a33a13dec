import { BpfError } from '@bpfkit/kernel-api';
import { BpfCmd, Capability, MAX_BPF_CMD, checkAttrSize, cmdName } from '@bpfkit/uapi';
import { btfGetFdById, btfLoad } from '../cmds/btf.js';
import { enableStats } from '../cmds/enable-stats.js';
import { mapGetFdById, progGetFdById } from '../cmds/get-fd-by-id.js';
import { NEXT_ID_KIND, objGetNextId } from '../cmds/get-next-id.js';
import { mapDoBatch } from '../cmds/map-batch.js';
import { objGetInfoByFd } from '../cmds/obj-get-info.js';
import { progBindMap } from '../cmds/prog-bind-map.js';
import { progTestRun } from '../cmds/prog-test-run.js';
import { mapCreate } from '../cmds/map-create.js';
import { mapDeleteElem } from '../cmds/map-delete.js';
import { mapFreeze } from '../cmds/map-freeze.js';
import { mapGetNextKey } from '../cmds/map-get-next-key.js';
import { mapLookupAndDeleteElem } from '../cmds/map-lookup-and-delete.js';
import { mapLookupElem } from '../cmds/map-lookup.js';
import { mapUpdateElem } from '../cmds/map-update.js';
import { objGet, objPin } from '../cmds/obj.js';
import { progLoad } from '../cmds/prog-load.js';
import { tokenCreate } from '../cmds/token-create.js';
import { linkCreate } from '../cmds/link-create.js';
import { linkDetach, linkGetFdById, linkUpdate } from '../cmds/link-cmds.js';
import { iterCreate } from '../cmds/iter-link.js';
import { rawTracepointOpen } from '../cmds/raw-tp-open.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { capDetail, check, checkAttr, lsmDetail, traceGroup, type CmdResult } from './check.js';

/** Commands that need `capable(CAP_SYS_ADMIN)` before anything else (id walks, fd-by-id, stats, task_fd_query). */
const SYS_ADMIN_CMDS = new Set<number>([
  BpfCmd.BPF_PROG_GET_NEXT_ID,
  BpfCmd.BPF_MAP_GET_NEXT_ID,
  BpfCmd.BPF_PROG_GET_FD_BY_ID,
  BpfCmd.BPF_MAP_GET_FD_BY_ID,
  BpfCmd.BPF_BTF_GET_NEXT_ID,
  BpfCmd.BPF_LINK_GET_FD_BY_ID,
  BpfCmd.BPF_LINK_GET_NEXT_ID,
  BpfCmd.BPF_ENABLE_STATS,
  BpfCmd.BPF_TASK_FD_QUERY,
]);

/**
 * `__sys_bpf`: the size rule, the copy, `security_bpf`, then the command.
 * Commands bpfkit does not simulate pass CHECK_ATTR and their privilege gate,
 * then fail with ENOTSUPP (a documented difference).
 */
export function bpfSyscall(task: SyscallContext, cmd: number, uattr: Uint8Array): number {
  const core = task.core;
  const result = traceGroup(core, () => `bpf(${cmdName(cmd) ?? String(cmd)})`, (): CmdResult => {
    const sized = checkAttrSize(uattr);
    if (!sized.ok) {
      check(core, 'bpf_check_uarg_tail_zero', false, sized.errno, sized.reason, {
        pass: `attr of ${uattr.length} bytes: nothing set past sizeof(union bpf_attr)`,
        fail: `attr of ${uattr.length} bytes: non-zero byte at ${sized.offset} past sizeof(union bpf_attr)`,
      });
      throw new BpfError(sized.errno, sized.reason, 'attr too big');
    }
    const attr = sized.attr;
    const denial = core.deps.security.bpf(task.cred, cmd, attr, false);
    check(core, 'security_bpf', denial === undefined, denial?.errno ?? 'EPERM', 'lsm:bpf', () => lsmDetail('security_bpf', denial, 'LSM bpf hook'));
    switch (cmd) {
      case BpfCmd.BPF_MAP_CREATE:
        return mapCreate(task, attr);
      case BpfCmd.BPF_MAP_LOOKUP_ELEM:
        return mapLookupElem(task, attr);
      case BpfCmd.BPF_MAP_UPDATE_ELEM:
        return mapUpdateElem(task, attr);
      case BpfCmd.BPF_MAP_DELETE_ELEM:
        return mapDeleteElem(task, attr);
      case BpfCmd.BPF_MAP_GET_NEXT_KEY:
        return mapGetNextKey(task, attr);
      case BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM:
        return mapLookupAndDeleteElem(task, attr);
      case BpfCmd.BPF_MAP_FREEZE:
        return mapFreeze(task, attr);
      case BpfCmd.BPF_MAP_LOOKUP_BATCH:
      case BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_BATCH:
      case BpfCmd.BPF_MAP_UPDATE_BATCH:
      case BpfCmd.BPF_MAP_DELETE_BATCH:
        return mapDoBatch(task, cmd, attr, uattr);
      case BpfCmd.BPF_PROG_LOAD:
        return progLoad(task, attr, uattr);
      case BpfCmd.BPF_OBJ_PIN:
        return objPin(task, attr);
      case BpfCmd.BPF_OBJ_GET:
        return objGet(task, attr);
      case BpfCmd.BPF_BTF_LOAD:
        return btfLoad(task, attr, uattr);
      case BpfCmd.BPF_BTF_GET_FD_BY_ID:
        return btfGetFdById(task, attr);
      case BpfCmd.BPF_PROG_GET_FD_BY_ID:
        return progGetFdById(task, attr);
      case BpfCmd.BPF_MAP_GET_FD_BY_ID:
        return mapGetFdById(task, attr);
      case BpfCmd.BPF_PROG_BIND_MAP:
        return progBindMap(task, attr);
      case BpfCmd.BPF_ENABLE_STATS:
        return enableStats(task, attr);
      case BpfCmd.BPF_PROG_TEST_RUN:
        return progTestRun(task, attr, uattr);
      case BpfCmd.BPF_OBJ_GET_INFO_BY_FD:
        return objGetInfoByFd(task, attr, uattr);
      case BpfCmd.BPF_TOKEN_CREATE:
        return tokenCreate(task, attr);
      case BpfCmd.BPF_LINK_CREATE:
        return linkCreate(task, attr);
      case BpfCmd.BPF_RAW_TRACEPOINT_OPEN:
        return rawTracepointOpen(task, attr);
      case BpfCmd.BPF_LINK_DETACH:
        return linkDetach(task, attr);
      case BpfCmd.BPF_LINK_UPDATE:
        return linkUpdate(task, attr);
      case BpfCmd.BPF_LINK_GET_FD_BY_ID:
        return linkGetFdById(task, attr);
      case BpfCmd.BPF_ITER_CREATE:
        return iterCreate(task, attr);
    }
    const nextIdKind = NEXT_ID_KIND.get(cmd);
    if (nextIdKind !== undefined) return objGetNextId(task, cmd, nextIdKind, attr, uattr);
    check(core, 'bpf:cmd', Number.isInteger(cmd) && cmd >= 0 && cmd < MAX_BPF_CMD, 'EINVAL', 'bpf:unknown-cmd', {
      pass: `bpf command ${cmd} (${cmdName(cmd) ?? '?'}) is below __MAX_BPF_CMD ${MAX_BPF_CMD}`,
      fail: `unknown bpf command ${cmd}`,
    });
    checkAttr(core, cmd, attr);
    if (SYS_ADMIN_CMDS.has(cmd)) {
      check(core, 'bpf:CAP_SYS_ADMIN', core.capable(task.cred, Capability.CAP_SYS_ADMIN), 'EPERM', 'caps:missing-CAP_SYS_ADMIN',
        capDetail(`${cmdName(cmd) ?? cmd} needs CAP_SYS_ADMIN`, 'in the initial user namespace'));
    }
    throw new BpfError('ENOTSUPP', 'kernel:cmd-not-simulated', `${cmdName(cmd) ?? cmd} is not simulated by bpfkit`);
  });
  // A command that returned its refusal (rather than throwing it) is refused here, at the boundary.
  if (typeof result !== 'number') throw result;
  return result;
}
