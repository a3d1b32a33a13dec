import type { BpfSyscall } from '@bpfkit/kernel-api';
import { BpfCmd, encodeLinkDetachAttr, encodeLinkUpdateAttr, encodeRawTracepointAttr } from '@bpfkit/uapi';
import { checkKeys } from './map.js';
import { withScratch } from './scratch.js';

/** Options of {@link bpfRawTracepointOpen} (libbpf `struct bpf_raw_tp_opts`). */
export interface RawTracepointOpenOptions {
  /** The tracepoint (`sched_process_exec`); omit for tp_btf/fentry/fexit/fmod_ret/lsm programs, whose target came with the load. */
  readonly tpName?: string;
  /** `bpf_get_attach_cookie()` for the program. */
  readonly cookie?: bigint;
}

/**
 * BPF_RAW_TRACEPOINT_OPEN (libbpf `bpf_raw_tracepoint_open_opts`): a link fd.
 *
 * @example
 * const linkFd = bpfRawTracepointOpen(sys, progFd, { tpName: 'sched_process_exec' });
 */
export function bpfRawTracepointOpen(sys: BpfSyscall, progFd: number, opts: RawTracepointOpenOptions = {}): number {
  checkKeys('bpfRawTracepointOpen', opts, new Set(['tpName', 'cookie']));
  return withScratch(sys, (s) => sys.bpf(BpfCmd.BPF_RAW_TRACEPOINT_OPEN, encodeRawTracepointAttr({
    prog_fd: progFd,
    name: opts.tpName === undefined ? 0n : s.cString(opts.tpName),
    cookie: opts.cookie ?? 0n,
  })));
}

/**
 * BPF_LINK_DETACH (libbpf `bpf_link_detach`): detaches the link from its hook while the
 * fd stays open (links without a detach operation, raw tracepoint and tracing ones, give EOPNOTSUPP).
 *
 * @example
 * bpfLinkDetach(sys, linkFd);
 */
export function bpfLinkDetach(sys: BpfSyscall, linkFd: number): void {
  sys.bpf(BpfCmd.BPF_LINK_DETACH, encodeLinkDetachAttr({ link_fd: linkFd }));
}

/** Options of {@link bpfLinkUpdate} (libbpf `struct bpf_link_update_opts`). */
export interface LinkUpdateOptions {
  /** `BPF_F_REPLACE` to swap only while `oldProgFd` is the attached program. */
  readonly flags?: number;
  readonly oldProgFd?: number;
}

/**
 * BPF_LINK_UPDATE (libbpf `bpf_link_update`): puts another program behind the link.
 *
 * @example
 * bpfLinkUpdate(sys, linkFd, newProgFd, { flags: BPF_F_REPLACE, oldProgFd });
 */
export function bpfLinkUpdate(sys: BpfSyscall, linkFd: number, newProgFd: number, opts: LinkUpdateOptions = {}): void {
  checkKeys('bpfLinkUpdate', opts, new Set(['flags', 'oldProgFd']));
  sys.bpf(BpfCmd.BPF_LINK_UPDATE, encodeLinkUpdateAttr({
    link_fd: linkFd, new_prog_fd: newProgFd, flags: opts.flags ?? 0, old_prog_fd: opts.oldProgFd ?? 0,
  }));
}

export { bpfLinkGetInfoByFd, type LinkInfo, type PerfEventLinkInfo } from './link-info.js';
