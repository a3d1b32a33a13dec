import type { BpfSyscall } from '@bpfkit/kernel-api';
import { BpfCmd, BpfLinkType, encodeInfoAttr, encodeLinkDetachAttr, encodeLinkUpdateAttr, encodeRawTracepointAttr } from '@bpfkit/uapi';
import { checkKeys } from './map.js';
import { cStringOf, withScratch } from './scratch.js';

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

/** `struct bpf_link_info`, decoded for the link types bpfkit's client knows. */
export interface LinkInfo {
  /** `enum bpf_link_type` (1 raw_tracepoint, 2 tracing, 7 perf_event…). */
  readonly type: number;
  readonly id: number;
  readonly progId: number;
  /** Raw tracepoint links: the tracepoint and the cookie. */
  readonly rawTracepoint?: { readonly tpName: string; readonly cookie: bigint };
  /** Tracing links (fentry, fexit, fmod_ret, lsm): the attach type and the BTF function it is attached to. */
  readonly tracing?: { readonly attachType: number; readonly targetObjId: number; readonly targetBtfId: number; readonly cookie: bigint };
}

const LINK_INFO_SIZE = 64;
/** Longer than any tracepoint name the kernel accepts (it reads at most 127 bytes). */
const TP_NAME_BUF = 128;

/**
 * BPF_OBJ_GET_INFO_BY_FD on a link (libbpf `bpf_link_get_info_by_fd`), decoded; a raw
 * tracepoint link's name is copied out too.
 *
 * @example
 * bpfLinkGetInfoByFd(sys, linkFd).rawTracepoint?.tpName; // 'sched_process_exec'
 */
export function bpfLinkGetInfoByFd(sys: BpfSyscall, fd: number): LinkInfo {
  return withScratch(sys, (s) => {
    const init = new Uint8Array(LINK_INFO_SIZE);
    const nameBuf = s.alloc(TP_NAME_BUF);
    const call = (bytes: Uint8Array): DataView => {
      const buf = s.alloc(bytes);
      sys.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: fd, info_len: bytes.length, info: buf }));
      const out = s.read(buf, bytes.length);
      return new DataView(out.buffer, out.byteOffset, out.length);
    };
    let v = call(init);
    const type = v.getUint32(0, true);
    if (type === BpfLinkType.BPF_LINK_TYPE_RAW_TRACEPOINT) {
      const iv = new DataView(init.buffer);
      iv.setBigUint64(16, nameBuf, true);
      iv.setUint32(24, TP_NAME_BUF, true);
      v = call(init);
    }
    const head = { type, id: v.getUint32(4, true), progId: v.getUint32(8, true) };
    if (type === BpfLinkType.BPF_LINK_TYPE_RAW_TRACEPOINT) {
      return { ...head, rawTracepoint: { tpName: cStringOf(s.read(nameBuf, TP_NAME_BUF)), cookie: v.getBigUint64(32, true) } };
    }
    if (type === BpfLinkType.BPF_LINK_TYPE_TRACING) {
      return {
        ...head,
        tracing: { attachType: v.getUint32(16, true), targetObjId: v.getUint32(20, true), targetBtfId: v.getUint32(24, true), cookie: v.getBigUint64(32, true) },
      };
    }
    return head;
  });
}
