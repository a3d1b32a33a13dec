import { BpfError, NO_TRACE, type BpfErrorReason, type BpfTokenInfo } from '@bpfkit/kernel-api';
import { cmdName } from '@bpfkit/uapi';
import type { SyscallContext } from '../task/syscall-context.js';
import { capDetail, capScope, check, type CheckDetail } from './check.js';
import type { BpfObject } from './objects.js';

/**
 * `bpf_token_get_from_fd`: EBADF when the fd is not open (or is O_PATH),
 * EINVAL when it is not a token. Returns a new reference.
 */
export function tokenFromFd(task: SyscallContext, fd: number): BpfObject {
  const ufd = fd >>> 0;
  const entry = task.fdTable.get(ufd);
  check(task.core, 'bpf_token_get_from_fd', entry !== undefined && !entry.file.opath, 'EBADF', 'token:bad-fd', () => ({
    pass: `token fd ${ufd} is an open, non-O_PATH file`,
    fail: `token fd ${ufd} is ${entry === undefined ? 'not open' : 'an O_PATH fd'}`,
  }));
  const obj = entry?.file.payload.object;
  check(task.core, 'bpf_token_get_from_fd:is-token', obj?.kind === 'token', 'EINVAL', 'token:not-a-token', () => ({
    pass: `fd ${ufd} is BPF token #${obj?.id ?? '?'}`,
    fail: `fd ${ufd} is not a BPF token`,
  }));
  if (obj === undefined) throw new BpfError('EINVAL', 'token:not-a-token', `fd ${ufd} is not a BPF token`);
  return obj.get();
}

/**
 * Looks the token up when the command's flag asks for it, then applies the
 * silent fallback: if the token does not allow `cmd` (or `extra` says no),
 * it is dropped and the request continues as if no token was given.
 */
export function resolveToken(
  task: SyscallContext,
  wanted: boolean,
  fd: number,
  cmd: number,
  extra?: (token: BpfTokenInfo) => boolean,
): BpfObject | undefined {
  if (!wanted) {
    task.core.tracer.step({ check: 'token', outcome: 'skip', detail: 'BPF_F_TOKEN_FD not set: no token' });
    return undefined;
  }
  const obj = tokenFromFd(task, fd);
  const info = obj.token;
  const svc = task.core.deps.token;
  const ok = info !== undefined && svc.allowCmd(task.cred, info, cmd, task.core.tracer) && (extra === undefined || extra(info));
  if (!ok) {
    if (task.core.tracer !== NO_TRACE) {
      task.core.tracer.step({
        check: 'token:fallback',
        outcome: 'fail',
        detail: `token does not allow ${cmdName(cmd) ?? cmd} (or this type): dropped, falling back to init-userns capabilities`,
      });
    }
    obj.put();
    return undefined;
  }
  return obj;
}

/** `bpf_token_capable(token, cap)`. */
export function tokenCapable(task: SyscallContext, token: BpfObject | undefined, cap: number): boolean {
  return task.core.deps.token.capable(task.cred, token?.token, cap, task.core.tracer);
}

/**
 * The `unprivileged_bpf_disabled` gate of map create and prog load: with the
 * sysctl set, CAP_BPF (token-capable) is required.
 */
export function unprivDetail(sysctl: number, token: BpfObject | undefined): CheckDetail {
  const where = capScope(token);
  return {
    pass: `kernel.unprivileged_bpf_disabled=${sysctl}: CAP_BPF held ${where}`,
    fail: `kernel.unprivileged_bpf_disabled=${sysctl} and no CAP_BPF ${where}`,
  };
}

/**
 * The gate of the commands whose token only `delegate_cmds` decides (BTF_LOAD,
 * BTF_GET_FD_BY_ID): look the token up when `wanted`, require
 * `bpf_token_capable(token, cap)` (EPERM), then drop the token again.
 */
export function requireTokenCapable(
  task: SyscallContext,
  id: string,
  wanted: boolean,
  fd: number,
  cmd: number,
  cap: number,
  reason: BpfErrorReason,
  need: string,
): void {
  const token = resolveToken(task, wanted, fd, cmd);
  try {
    check(task.core, id, tokenCapable(task, token, cap), 'EPERM', reason, capDetail(need, capScope(token)));
  } finally {
    token?.put();
  }
}
