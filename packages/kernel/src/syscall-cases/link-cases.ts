import type { BpfSyscall } from '@bpfkit/kernel-api';
import {
  BPF_F_REPLACE, BpfAttachType as A, BpfCmd, BpfMapType as M, BpfProgType as P, encodeAttrGroup, encodeGetIdAttr, encodeInfoAttr,
  encodeLinkCreateAttr, encodeLinkDetachAttr, encodeLinkUpdateAttr, encodeProgLoadAttr, encodeRawTracepointAttr, type LinkCreateAttr,
} from '@bpfkit/uapi';
import { kernelBtf } from './kernel-btf.js';
import { hex, mapCreate } from './ops.js';
import { GPL, returning } from './prog-bytes.js';
import type { CaseRunner, Observed, SyscallCase } from './runner.js';

const LINK_INFO_SIZE = 64;
/** Big enough for `struct bpf_prog_info` (232 bytes on 6.18). */
const PROG_INFO_SIZE = 232;

/** BPF_PROG_LOAD of `r0 = 0; exit` as any program type; the fd is owned by the case. */
function loadProg(r: CaseRunner, step: string, type: number, expectedAttachType = 0, attachBtfId = 0): number | undefined {
  const insns = returning(0);
  const fd = r.call(step, BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
    prog_type: type, insn_cnt: insns.length / 8, insns: r.mem(insns), license: r.mem(GPL), expected_attach_type: expectedAttachType,
    attach_btf_id: attachBtfId,
  }));
  return fd === undefined ? undefined : r.own(fd);
}

function cString(r: CaseRunner, s: string): bigint {
  return r.mem(new TextEncoder().encode(`${s}\0`));
}

function linkCreate(r: CaseRunner, step: string, fields: LinkCreateAttr): number | undefined {
  const fd = r.call(step, BpfCmd.BPF_LINK_CREATE, encodeLinkCreateAttr(fields));
  return fd === undefined ? undefined : r.own(fd);
}

function rawTpOpen(r: CaseRunner, step: string, progFd: number, name: string | null, cookie = 0n): number | undefined {
  const fd = r.call(step, BpfCmd.BPF_RAW_TRACEPOINT_OPEN, encodeRawTracepointAttr({
    name: name === null ? 0n : cString(r, name), prog_fd: progFd, cookie,
  }));
  return fd === undefined ? undefined : r.own(fd);
}

/** The id of the object behind `fd`, from its info (u32 at 4 in every info struct). */
function idOf(r: CaseRunner, fd: number, size: number): number {
  const info = r.mem(size);
  r.sys.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: fd, info_len: size, info }));
  return new DataView(r.read(info, 8).buffer).getUint32(4, true);
}

/**
 * BPF_OBJ_GET_INFO_BY_FD on a link: type, whether `id` and `prog_id` are the link's and
 * program's, the union part as hex (tp_name pointer zeroed), and the name copied out.
 */
export function linkInfo(r: CaseRunner, step: string, linkFd: number, progFd: number, opts: { nameLen?: number; noBuffer?: boolean; infoLen?: number; tail?: number } = {}): void {
  const infoLen = opts.infoLen ?? LINK_INFO_SIZE;
  const init = new Uint8Array(infoLen);
  const dv = new DataView(init.buffer);
  const nameBuf = opts.nameLen === undefined || opts.noBuffer === true ? 0n : r.mem(new Uint8Array(opts.nameLen).fill(0xaa));
  if (opts.nameLen !== undefined && infoLen >= 28) {
    dv.setBigUint64(16, nameBuf, true);
    dv.setUint32(24, opts.nameLen, true);
  }
  if (opts.tail !== undefined) init[infoLen - 1] = opts.tail;
  const info = r.mem(init);
  const attr = encodeInfoAttr({ bpf_fd: linkFd, info_len: infoLen, info });
  const progId = idOf(r, progFd, PROG_INFO_SIZE);
  r.call(step, BpfCmd.BPF_OBJ_GET_INFO_BY_FD, attr, () => {
    const out = r.read(info, infoLen);
    const v = new DataView(out.buffer, out.byteOffset, out.length);
    const union = out.slice(16, Math.min(infoLen, LINK_INFO_SIZE));
    if (nameBuf !== 0n && union.length >= 8) union.fill(0, 0, 8);
    const res: Record<string, Observed> = {
      info_len: new DataView(attr.buffer).getUint32(4, true),
      type: infoLen >= 4 ? v.getUint32(0, true) : null,
      prog_id_is_prog: infoLen >= 12 ? v.getUint32(8, true) === progId : null,
      union: hex(union),
    };
    if (nameBuf !== 0n) res['name'] = hex(r.read(nameBuf, opts.nameLen ?? 0));
    return res;
  });
}

/** `/proc/self/fdinfo/<fd>` of a link without the generic lines and with ids replaced by whether they match. */
export function linkFdinfo(r: CaseRunner, step: string, linkFd: number, progFd: number): void {
  const reader = r.sys as BpfSyscall & { readFile?(path: string): string };
  if (reader.readFile === undefined) return;
  const text = reader.readFile(`/proc/self/fdinfo/${linkFd}`);
  const linkId = idOf(r, linkFd, LINK_INFO_SIZE);
  const progId = idOf(r, progFd, PROG_INFO_SIZE);
  const lines = text.split('\n').filter((l) => l !== '' && !/^(pos|flags|mnt_id|ino):/.test(l)).map((l) => {
    const [k, v] = l.split('\t');
    if (k === 'link_id:') return `link_id: ${v === String(linkId) ? 'the link' : 'other'}`;
    if (k === 'prog_id:') return `prog_id: ${v === String(progId) ? 'the program' : 'other'}`;
    if (k === 'prog_tag:') return 'prog_tag: (tag)';
    return l;
  });
  r.record(step, lines);
}

/** The id of `btf_trace_<name>` in the kernel's BTF (BTF id 1, read through bpf()). */
function btfTraceId(r: CaseRunner, name: string): number | undefined {
  return kernelBtf(r)?.byName(`btf_trace_${name}`, 'TYPEDEF');
}

function detach(r: CaseRunner, step: string, fd: number): void {
  r.call(step, BpfCmd.BPF_LINK_DETACH, encodeLinkDetachAttr({ link_fd: fd }));
}

function updateCases(r: CaseRunner, link: number, prog: number): void {
  const upd = (step: string, fields: Parameters<typeof encodeLinkUpdateAttr>[0]): void => {
    r.call(step, BpfCmd.BPF_LINK_UPDATE, encodeLinkUpdateAttr(fields));
  };
  upd('update: no update_prog', { link_fd: link, new_prog_fd: prog });
  upd('update: unknown flag', { link_fd: link, new_prog_fd: prog, flags: 8 });
  upd('update: BPF_F_REPLACE, bad old fd', { link_fd: link, new_prog_fd: prog, flags: BPF_F_REPLACE, old_prog_fd: 999 });
  upd('update: old fd without BPF_F_REPLACE', { link_fd: link, new_prog_fd: prog, old_prog_fd: prog });
  upd('update: bad new fd', { link_fd: link, new_prog_fd: 999 });
  upd('update: bad link fd', { link_fd: 999, new_prog_fd: prog });
  upd('update: a program fd as the link', { link_fd: prog, new_prog_fd: prog });
}

const RAW_TP: SyscallCase = {
  name: 'links: raw_tp programs by tracepoint name',
  run(r) {
    const prog = loadProg(r, 'load raw_tracepoint', P.BPF_PROG_TYPE_RAW_TRACEPOINT);
    const map = mapCreate(r, 'map', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 4, max_entries: 1 });
    if (prog === undefined || map === undefined) return;
    const link = rawTpOpen(r, 'open sched_process_exec', prog, 'sched_process_exec');
    rawTpOpen(r, 'open it again (a second link)', prog, 'sched_process_exec');
    rawTpOpen(r, 'open sys_enter', prog, 'sys_enter');
    rawTpOpen(r, 'open task_newtask', prog, 'task_newtask');
    const withCookie = rawTpOpen(r, 'open with a cookie', prog, 'sys_enter', 0x1234n);
    rawTpOpen(r, 'unknown tracepoint', prog, 'no_such_tracepoint');
    rawTpOpen(r, 'subsystem/name is not a raw tracepoint name', prog, 'sched/sched_process_exec');
    rawTpOpen(r, 'empty name', prog, '');
    rawTpOpen(r, 'name longer than 127 bytes', prog, 'sched_process_exec'.padEnd(200, 'x'));
    rawTpOpen(r, 'NULL name', prog, null);
    rawTpOpen(r, 'bad prog fd', 999, 'sys_enter');
    rawTpOpen(r, 'a map fd as the program', map, 'sys_enter');
    r.call('CHECK_ATTR: byte past cookie', BpfCmd.BPF_RAW_TRACEPOINT_OPEN, encodeAttrGroup('raw_tracepoint', { prog_fd: prog, name: cString(r, 'sys_enter') }, 25).fill(1, 24, 25));
    linkCreate(r, 'link_create BPF_TRACE_RAW_TP of a raw_tp program', { prog_fd: prog, attach_type: A.BPF_TRACE_RAW_TP });
    linkCreate(r, 'link_create attach type 0 of a raw_tp program', { prog_fd: prog, attach_type: 0 });
    const writable = loadProg(r, 'load raw_tracepoint_writable', P.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE);
    if (writable !== undefined) rawTpOpen(r, 'writable program on sched_process_exec', writable, 'sched_process_exec');
    if (link === undefined) return;
    linkFdinfo(r, 'fdinfo', link, prog);
    linkInfo(r, 'info without a name buffer', link, prog);
    linkInfo(r, 'info with a name buffer', link, prog, { nameLen: 32 });
    linkInfo(r, 'info with a short name buffer', link, prog, { nameLen: 5 });
    linkInfo(r, 'info with a name length but no buffer', link, prog, { nameLen: 16, noBuffer: true });
    linkInfo(r, 'info_len 8', link, prog, { infoLen: 8 });
    linkInfo(r, 'info_len 72, zero tail', link, prog, { infoLen: 72 });
    linkInfo(r, 'info_len 72, non-zero tail', link, prog, { infoLen: 72, tail: 1 });
    if (withCookie !== undefined) linkInfo(r, 'info of the link with a cookie', withCookie, prog);
    detach(r, 'detach: raw tracepoint links have no detach', link);
    detach(r, 'detach: bad fd', 999);
    detach(r, 'detach: a program fd', prog);
    updateCases(r, link, prog);
    const id = idOf(r, link, LINK_INFO_SIZE);
    const byId = r.call('LINK_GET_FD_BY_ID of the link', BpfCmd.BPF_LINK_GET_FD_BY_ID, encodeGetIdAttr({ link_id: id }), (fd) => ({ same_link: idOf(r, fd, LINK_INFO_SIZE) === id }));
    if (byId !== undefined) r.own(byId);
    r.call('LINK_GET_FD_BY_ID 0', BpfCmd.BPF_LINK_GET_FD_BY_ID, encodeGetIdAttr({ link_id: 0 }));
    r.call('LINK_GET_FD_BY_ID of no link', BpfCmd.BPF_LINK_GET_FD_BY_ID, encodeGetIdAttr({ link_id: 0x7fff_fff0 }));
    r.call('LINK_GET_FD_BY_ID with open_flags', BpfCmd.BPF_LINK_GET_FD_BY_ID, encodeGetIdAttr({ link_id: id, open_flags: 1 }));
    const next = encodeGetIdAttr({ start_id: id - 1 });
    r.call('LINK_GET_NEXT_ID before the link', BpfCmd.BPF_LINK_GET_NEXT_ID, next, () => ({ is_the_link: new DataView(next.buffer).getUint32(4, true) === id }));
    r.close(link);
    if (byId !== undefined) r.close(byId);
    r.call('LINK_GET_FD_BY_ID once every fd is closed', BpfCmd.BPF_LINK_GET_FD_BY_ID, encodeGetIdAttr({ link_id: id }));
  },
};

const TP_BTF: SyscallCase = {
  name: 'links: tp_btf programs',
  run(r) {
    const btfId = btfTraceId(r, 'sched_process_exec');
    r.record('the kernel BTF has btf_trace_sched_process_exec', btfId !== undefined);
    if (btfId === undefined) return;
    const prog = loadProg(r, 'load tp_btf', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_RAW_TP, btfId);
    if (prog === undefined) return;
    const link = linkCreate(r, 'link_create BPF_TRACE_RAW_TP', { prog_fd: prog, attach_type: A.BPF_TRACE_RAW_TP });
    linkCreate(r, 'a second link', { prog_fd: prog, attach_type: A.BPF_TRACE_RAW_TP });
    linkCreate(r, 'attach type BPF_TRACE_FENTRY', { prog_fd: prog, attach_type: A.BPF_TRACE_FENTRY });
    linkCreate(r, 'attach type 0', { prog_fd: prog, attach_type: 0 });
    linkCreate(r, 'target_fd is ignored', { prog_fd: prog, attach_type: A.BPF_TRACE_RAW_TP, target_fd: 5 });
    linkCreate(r, 'flags are ignored', { prog_fd: prog, attach_type: A.BPF_TRACE_RAW_TP, flags: 1 });
    const cookie = linkCreate(r, 'with a cookie', { prog_fd: prog, attach_type: A.BPF_TRACE_RAW_TP, 'tracing.cookie': 77n });
    linkCreate(r, 'bad prog fd', { prog_fd: 999, attach_type: A.BPF_TRACE_RAW_TP });
    linkCreate(r, 'attach type 200', { prog_fd: prog, attach_type: 200 });
    r.call('CHECK_ATTR: byte 60 set', BpfCmd.BPF_LINK_CREATE, encodeLinkCreateAttr({ prog_fd: prog, attach_type: A.BPF_TRACE_RAW_TP }, 64).fill(1, 60, 61));
    rawTpOpen(r, 'RAW_TRACEPOINT_OPEN without a name', prog, null);
    rawTpOpen(r, 'RAW_TRACEPOINT_OPEN with a name', prog, 'sched_process_exec');
    if (link !== undefined) {
      linkFdinfo(r, 'fdinfo', link, prog);
      linkInfo(r, 'info', link, prog, { nameLen: 32 });
      detach(r, 'detach', link);
      updateCases(r, link, prog);
    }
    if (cookie !== undefined) linkInfo(r, 'info with a cookie', cookie, prog);
  },
};

const UNRESOLVED: SyscallCase = {
  name: 'links: attach targets the kernel cannot find',
  run(r) {
    const map = mapCreate(r, 'map', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 4, max_entries: 1 });
    const xdp = loadProg(r, 'load xdp', P.BPF_PROG_TYPE_XDP, A.BPF_XDP);
    const skb = loadProg(r, 'load cgroup_skb', P.BPF_PROG_TYPE_CGROUP_SKB, A.BPF_CGROUP_INET_INGRESS);
    const cls = loadProg(r, 'load sched_cls', P.BPF_PROG_TYPE_SCHED_CLS);
    const sf = loadProg(r, 'load socket_filter', P.BPF_PROG_TYPE_SOCKET_FILTER);
    const tp = loadProg(r, 'load tracepoint', P.BPF_PROG_TYPE_TRACEPOINT);
    const kp = loadProg(r, 'load kprobe', P.BPF_PROG_TYPE_KPROBE);
    if ([map, xdp, skb, cls, sf, tp, kp].includes(undefined)) return;
    const fd = (x: number | undefined): number => x ?? -1;
    const lc = (step: string, fields: LinkCreateAttr): void => {
      linkCreate(r, step, fields);
    };
    lc('xdp: no such ifindex', { prog_fd: fd(xdp), attach_type: A.BPF_XDP, target_ifindex: 9999 });
    lc('xdp: ifindex 0', { prog_fd: fd(xdp), attach_type: A.BPF_XDP, target_ifindex: 0 });
    lc('xdp: a cgroup attach type', { prog_fd: fd(xdp), attach_type: A.BPF_CGROUP_INET_INGRESS, target_fd: 9999 });
    lc('cgroup_skb: fd not open', { prog_fd: fd(skb), attach_type: A.BPF_CGROUP_INET_INGRESS, target_fd: 999 });
    lc('cgroup_skb: a map fd as the cgroup', { prog_fd: fd(skb), attach_type: A.BPF_CGROUP_INET_INGRESS, target_fd: fd(map) });
    lc('cgroup_skb: the other direction', { prog_fd: fd(skb), attach_type: A.BPF_CGROUP_INET_EGRESS, target_fd: 999 });
    lc('cgroup_skb: flag BPF_F_ALLOW_OVERRIDE', { prog_fd: fd(skb), attach_type: A.BPF_CGROUP_INET_INGRESS, target_fd: 999, flags: 1 });
    lc('cgroup_skb: flag BPF_F_BEFORE', { prog_fd: fd(skb), attach_type: A.BPF_CGROUP_INET_INGRESS, target_fd: 999, flags: 8 });
    lc('cgroup_skb: the XDP attach type', { prog_fd: fd(skb), attach_type: A.BPF_XDP, target_fd: 999 });
    lc('sched_cls: tcx, no such ifindex', { prog_fd: fd(cls), attach_type: A.BPF_TCX_INGRESS, target_ifindex: 9999 });
    lc('sched_cls: netkit', { prog_fd: fd(cls), attach_type: A.BPF_NETKIT_PRIMARY, target_ifindex: 9999 });
    lc('sched_cls: the XDP attach type', { prog_fd: fd(cls), attach_type: A.BPF_XDP, target_ifindex: 9999 });
    lc('socket_filter: attach type 0', { prog_fd: fd(sf), attach_type: 0 });
    lc('tracepoint: perf fd not open', { prog_fd: fd(tp), attach_type: A.BPF_PERF_EVENT, target_fd: 999 });
    lc('tracepoint: a map fd as the perf event', { prog_fd: fd(tp), attach_type: A.BPF_PERF_EVENT, target_fd: fd(map) });
    lc('tracepoint: perf link with flags', { prog_fd: fd(tp), attach_type: A.BPF_PERF_EVENT, target_fd: 999, flags: 1 });
    lc('tracepoint: BPF_TRACE_RAW_TP', { prog_fd: fd(tp), attach_type: A.BPF_TRACE_RAW_TP });
    lc('kprobe: perf fd not open', { prog_fd: fd(kp), attach_type: A.BPF_PERF_EVENT, target_fd: 999 });
    lc('kprobe: kprobe_multi', { prog_fd: fd(kp), attach_type: A.BPF_TRACE_KPROBE_MULTI });
    lc('kprobe: BPF_TRACE_RAW_TP', { prog_fd: fd(kp), attach_type: A.BPF_TRACE_RAW_TP });
    lc('a map fd as the program', { prog_fd: fd(map), attach_type: A.BPF_XDP });
    rawTpOpen(r, 'RAW_TRACEPOINT_OPEN of xdp', fd(xdp), 'sys_enter');
    rawTpOpen(r, 'RAW_TRACEPOINT_OPEN of a tracepoint program', fd(tp), 'sys_enter');
    rawTpOpen(r, 'RAW_TRACEPOINT_OPEN of kprobe', fd(kp), 'sys_enter');
  },
};

/** A CPU-0 `PERF_COUNT_SW_BPF_OUTPUT` event (what a perf buffer opens), owned by the case; undefined without perf_event_open. */
function bpfOutputEvent(r: CaseRunner): number | undefined {
  const opener = r.sys as BpfSyscall & { perfEventOpen?(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number): number };
  if (opener.perfEventOpen === undefined) return undefined;
  const attr = new Uint8Array(136);
  const v = new DataView(attr.buffer);
  v.setUint32(0, 1, true); // PERF_TYPE_SOFTWARE
  v.setUint32(4, attr.length, true);
  v.setBigUint64(8, 10n, true); // PERF_COUNT_SW_BPF_OUTPUT
  v.setBigUint64(16, 1n, true); // sample_period
  v.setBigUint64(24, 1n << 10n, true); // PERF_SAMPLE_RAW
  v.setUint32(48, 1, true); // wakeup_events
  return r.own(opener.perfEventOpen(attr, -1, 0, -1, 8));
}

const PERF_EVENT: SyscallCase = {
  name: 'links: perf_event programs on a software perf event',
  run(r) {
    const ev = bpfOutputEvent(r);
    const ev2 = bpfOutputEvent(r);
    r.record('perf events opened', ev !== undefined && ev2 !== undefined);
    if (ev === undefined || ev2 === undefined) return;
    const pe = loadProg(r, 'load perf_event', P.BPF_PROG_TYPE_PERF_EVENT);
    const tp = loadProg(r, 'load tracepoint', P.BPF_PROG_TYPE_TRACEPOINT);
    const kp = loadProg(r, 'load kprobe', P.BPF_PROG_TYPE_KPROBE);
    if (pe === undefined || tp === undefined || kp === undefined) return;
    const link = linkCreate(r, 'perf_event program', { prog_fd: pe, attach_type: A.BPF_PERF_EVENT, target_fd: ev });
    linkCreate(r, 'a second program on the event', { prog_fd: pe, attach_type: A.BPF_PERF_EVENT, target_fd: ev });
    linkCreate(r, 'a tracepoint program on an event that has one', { prog_fd: tp, attach_type: A.BPF_PERF_EVENT, target_fd: ev });
    linkCreate(r, 'a tracepoint program on a software event', { prog_fd: tp, attach_type: A.BPF_PERF_EVENT, target_fd: ev2 });
    linkCreate(r, 'a kprobe program on a software event', { prog_fd: kp, attach_type: A.BPF_PERF_EVENT, target_fd: ev2 });
    linkCreate(r, 'flags', { prog_fd: pe, attach_type: A.BPF_PERF_EVENT, target_fd: ev2, flags: 1 });
    const withCookie = linkCreate(r, 'with a cookie', { prog_fd: pe, attach_type: A.BPF_PERF_EVENT, target_fd: ev2, 'perf_event.bpf_cookie': 9n });
    if (link === undefined) return;
    linkFdinfo(r, 'fdinfo', link, pe);
    linkInfo(r, 'info', link, pe);
    if (withCookie !== undefined) linkInfo(r, 'info with a cookie', withCookie, pe);
    detach(r, 'detach', link);
    updateCases(r, link, pe);
    r.close(ev);
    r.record('the link keeps the event: still linked after its fd is closed', true);
    linkInfo(r, 'info after the event fd is closed', link, pe);
    r.close(link);
    const again = bpfOutputEvent(r);
    if (again !== undefined) linkCreate(r, 'a new event takes a program', { prog_fd: pe, attach_type: A.BPF_PERF_EVENT, target_fd: again });
  },
};

/** BPF links: raw tracepoints by name, tp_btf, perf events, the link commands' errnos and info, attach targets without a device or cgroup. */
export const LINK_CASES: readonly SyscallCase[] = [RAW_TP, TP_BTF, UNRESOLVED, PERF_EVENT];
