import type { BpfSyscall } from '@bpfkit/kernel-api';
import { BpfCmd, encodeAttr, encodeGetIdAttr, encodeObjAttr, BPF_F_TOKEN_FD } from '@bpfkit/uapi';
import { withScratch } from './scratch.js';

/**
 * BPF_OBJ_PIN (libbpf `bpf_obj_pin`): pins a map, program or link at a bpffs path.
 *
 * @example
 * bpfObjPin(sys, mapFd, '/sys/fs/bpf/counts');
 */
export function bpfObjPin(sys: BpfSyscall, fd: number, path: string, fileFlags = 0): void {
  withScratch(sys, (s) => {
    sys.bpf(BpfCmd.BPF_OBJ_PIN, encodeObjAttr({ pathname: s.cString(path), bpf_fd: fd, file_flags: fileFlags }));
  });
}

/**
 * BPF_OBJ_GET (libbpf `bpf_obj_get`): an fd for a pinned object.
 *
 * @example
 * const fd = bpfObjGet(sys, '/sys/fs/bpf/counts');
 */
export function bpfObjGet(sys: BpfSyscall, path: string, fileFlags = 0): number {
  return withScratch(sys, (s) => sys.bpf(BpfCmd.BPF_OBJ_GET, encodeObjAttr({ pathname: s.cString(path), file_flags: fileFlags })));
}

function nextId(sys: BpfSyscall, cmd: number, startId: number): number | null {
  const attr = encodeGetIdAttr({ start_id: startId });
  try {
    sys.bpf(cmd, attr);
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'ENOENT') return null;
    throw e;
  }
  return new DataView(attr.buffer, attr.byteOffset).getUint32(4, true);
}

/**
 * BPF_PROG_GET_NEXT_ID (libbpf `bpf_prog_get_next_id`): the next program id after `startId`, or null.
 *
 * @example
 * for (let id = bpfProgGetNextId(sys, 0); id !== null; id = bpfProgGetNextId(sys, id)) console.log(id);
 */
export function bpfProgGetNextId(sys: BpfSyscall, startId: number): number | null {
  return nextId(sys, BpfCmd.BPF_PROG_GET_NEXT_ID, startId);
}

/** BPF_MAP_GET_NEXT_ID (libbpf `bpf_map_get_next_id`). @example bpfMapGetNextId(sys, 0); // 1 or null */
export function bpfMapGetNextId(sys: BpfSyscall, startId: number): number | null {
  return nextId(sys, BpfCmd.BPF_MAP_GET_NEXT_ID, startId);
}

/** BPF_BTF_GET_NEXT_ID (libbpf `bpf_btf_get_next_id`). @example bpfBtfGetNextId(sys, 0); // 1 (vmlinux) */
export function bpfBtfGetNextId(sys: BpfSyscall, startId: number): number | null {
  return nextId(sys, BpfCmd.BPF_BTF_GET_NEXT_ID, startId);
}

/** BPF_LINK_GET_NEXT_ID (libbpf `bpf_link_get_next_id`). @example bpfLinkGetNextId(sys, 0); */
export function bpfLinkGetNextId(sys: BpfSyscall, startId: number): number | null {
  return nextId(sys, BpfCmd.BPF_LINK_GET_NEXT_ID, startId);
}

function fdById(sys: BpfSyscall, cmd: number, id: number, tokenFd: number | undefined, openFlags = 0): number {
  return sys.bpf(cmd, encodeGetIdAttr({
    start_id: id,
    open_flags: (openFlags | (tokenFd === undefined ? 0 : BPF_F_TOKEN_FD)) >>> 0,
    fd_by_id_token_fd: tokenFd ?? 0,
  }));
}

/** BPF_PROG_GET_FD_BY_ID (libbpf `bpf_prog_get_fd_by_id_opts`). @example const fd = bpfProgGetFdById(sys, 7); */
export function bpfProgGetFdById(sys: BpfSyscall, id: number, tokenFd?: number): number {
  return fdById(sys, BpfCmd.BPF_PROG_GET_FD_BY_ID, id, tokenFd);
}

/** BPF_MAP_GET_FD_BY_ID (libbpf `bpf_map_get_fd_by_id_opts`). @example const fd = bpfMapGetFdById(sys, 3); */
export function bpfMapGetFdById(sys: BpfSyscall, id: number, tokenFd?: number, openFlags = 0): number {
  return fdById(sys, BpfCmd.BPF_MAP_GET_FD_BY_ID, id, tokenFd, openFlags);
}

/** BPF_BTF_GET_FD_BY_ID (libbpf `bpf_btf_get_fd_by_id_opts`). @example const vmlinuxFd = bpfBtfGetFdById(sys, 1); */
export function bpfBtfGetFdById(sys: BpfSyscall, id: number, tokenFd?: number): number {
  return fdById(sys, BpfCmd.BPF_BTF_GET_FD_BY_ID, id, tokenFd);
}

/** BPF_LINK_GET_FD_BY_ID (libbpf `bpf_link_get_fd_by_id_opts`). @example const fd = bpfLinkGetFdById(sys, 2); */
export function bpfLinkGetFdById(sys: BpfSyscall, id: number, tokenFd?: number): number {
  return fdById(sys, BpfCmd.BPF_LINK_GET_FD_BY_ID, id, tokenFd);
}

/** Options of {@link bpfLinkCreate}: the target-specific tail of `link_create` as raw fields. */
export interface LinkCreateOptions {
  readonly flags?: number;
  readonly targetBtfId?: number;
  readonly cookie?: bigint;
}

/**
 * BPF_LINK_CREATE (libbpf `bpf_link_create`).
 *
 * @example
 * const linkFd = bpfLinkCreate(sys, progFd, 0, BpfAttachType.BPF_TRACE_FENTRY);
 */
export function bpfLinkCreate(sys: BpfSyscall, progFd: number, targetFd: number, attachType: number, opts: LinkCreateOptions = {}): number {
  return sys.bpf(BpfCmd.BPF_LINK_CREATE, encodeAttr(BpfCmd.BPF_LINK_CREATE, {
    prog_fd: progFd,
    target_fd: targetFd,
    attach_type: attachType,
    flags: opts.flags ?? 0,
    ...(opts.targetBtfId === undefined ? {} : { target_btf_id: opts.targetBtfId }),
    ...(opts.cookie === undefined ? {} : { 'tracing.cookie': opts.cookie }),
  }));
}

/**
 * BPF_ENABLE_STATS (libbpf `bpf_enable_stats`): an fd that keeps run-time stats on while open.
 *
 * @example
 * const statsFd = bpfEnableStats(sys, 0); // BPF_STATS_RUN_TIME
 */
export function bpfEnableStats(sys: BpfSyscall, type: number): number {
  return sys.bpf(BpfCmd.BPF_ENABLE_STATS, encodeAttr(BpfCmd.BPF_ENABLE_STATS, { type }));
}
