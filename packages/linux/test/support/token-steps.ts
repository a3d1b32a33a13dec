import { isBpfError, type BpfSyscall } from '@bpfkit/kernel-api';
import {
  BPF_F_TOKEN_FD,
  BpfCmd,
  BpfMapType,
  BpfProgType,
  encodeMapCreateAttr,
  encodeProgLoadAttr,
  encodeTokenCreateAttr,
} from '@bpfkit/uapi';
import { GPL, RETURN_ZERO } from './bpf-bytes.js';

/** What a token step needs: bpf() with its memory, and open(). */
export interface StepHost extends BpfSyscall {
  open(path: string, flags?: number): number;
}

/** 'ok' or the errno name a step ended with. */
export type StepOutcome = string;

const O_DIRECTORY = 0o200000;

function attempt(sys: StepHost, fn: () => number): StepOutcome {
  try {
    const fd = fn();
    sys.close(fd);
    return 'ok';
  } catch (e) {
    if (isBpfError(e)) return e.code;
    throw e;
  }
}

/**
 * The token steps of the delegation test, on any host: token from the bpffs fd and from its path,
 * from the O_PATH mount fd; array/ringbuf maps and a socket filter with and without the token.
 */
export function runTokenSteps(sys: StepHost, bpffsFd: number, bpffsPath: string, mountFd: number): Record<string, StepOutcome> {
  const out: Record<string, StepOutcome> = {};
  let token = -1;
  try {
    token = sys.bpf(BpfCmd.BPF_TOKEN_CREATE, encodeTokenCreateAttr({ bpffs_fd: bpffsFd }));
    out.tokenCreate = 'ok';
  } catch (e) {
    if (!isBpfError(e)) throw e;
    out.tokenCreate = e.code;
  }
  out.tokenCreateFromPath = attempt(sys, () => {
    const fd = sys.open(bpffsPath, O_DIRECTORY);
    try {
      return sys.bpf(BpfCmd.BPF_TOKEN_CREATE, encodeTokenCreateAttr({ bpffs_fd: fd }));
    } finally {
      sys.close(fd);
    }
  });
  out.tokenCreateFromMountFd = attempt(sys, () => sys.bpf(BpfCmd.BPF_TOKEN_CREATE, encodeTokenCreateAttr({ bpffs_fd: mountFd })));
  const withToken = token >= 0 ? { map_flags: BPF_F_TOKEN_FD, map_token_fd: token } : {};
  const array = { map_type: BpfMapType.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 1 };
  out.arrayWithToken = attempt(sys, () => sys.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr({ ...array, ...withToken })));
  out.arrayWithoutToken = attempt(sys, () => sys.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr(array)));
  const ringbuf = { map_type: BpfMapType.BPF_MAP_TYPE_RINGBUF, key_size: 0, value_size: 0, max_entries: 4096 };
  out.ringbufWithToken = attempt(sys, () => sys.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr({ ...ringbuf, ...withToken })));
  const insns = sys.memory.alloc(RETURN_ZERO);
  const license = sys.memory.alloc(GPL);
  const prog = { prog_type: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insn_cnt: RETURN_ZERO.length / 8, insns, license };
  const progToken = token >= 0 ? { prog_flags: BPF_F_TOKEN_FD, prog_token_fd: token } : {};
  out.socketFilterWithToken = attempt(sys, () => sys.bpf(BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({ ...prog, ...progToken })));
  out.socketFilterWithoutToken = attempt(sys, () => sys.bpf(BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr(prog)));
  sys.memory.free(insns);
  sys.memory.free(license);
  if (token >= 0) sys.close(token);
  return out;
}
