import { BpfCmd, decodeRawTracepointAttr } from '@bpfkit/uapi';
import { checkAttr } from '../bpf/check.js';
import { progGet } from '../bpf/fd-get.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { rawTpLinkAttach } from './link-attach.js';

/**
 * BPF_RAW_TRACEPOINT_OPEN (`bpf_raw_tracepoint_open`): CHECK_ATTR, the program fd, then
 * the raw tracepoint link: by name for raw_tp programs, from the load for tp_btf (and,
 * with no name, fentry/fexit/fmod_ret/lsm through their trampoline).
 */
export function rawTracepointOpen(task: SyscallContext, bytes: Uint8Array): number {
  checkAttr(task.core, BpfCmd.BPF_RAW_TRACEPOINT_OPEN, bytes);
  const attr = decodeRawTracepointAttr(bytes);
  const { obj: prog, prog: p } = progGet(task, attr.prog_fd, 'raw_tracepoint_open');
  prog.get();
  try {
    return rawTpLinkAttach(task, prog, attr.name, attr.cookie, p.expectedAttachType);
  } catch (e) {
    prog.put();
    throw e;
  }
}
