import { BPF_F_REPLACE, BpfAttachType as A, BpfCmd, BpfProgType as P, encodeAttr, encodeLinkCreateAttr, encodeLinkDetachAttr, encodeLinkUpdateAttr, encodeProgLoadAttr, type LinkCreateAttr } from '@bpfkit/uapi';
import { kernelBtf } from './kernel-btf.js';
import { linkFdinfo, linkInfo } from './link-cases.js';
import { GPL, returning } from './prog-bytes.js';
import type { CaseRunner, SyscallCase } from './runner.js';

/** BPF_PROG_LOAD of `r0 = 0; exit` as an iterator program of `target`; the fd is owned by the case. */
function loadIter(r: CaseRunner, target: string, btfId: number): number | undefined {
  const insns = returning(0);
  const fd = r.call(`load iter/${target}`, BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
    prog_type: P.BPF_PROG_TYPE_TRACING, insn_cnt: insns.length / 8, insns: r.mem(insns), license: r.mem(GPL),
    expected_attach_type: A.BPF_TRACE_ITER, attach_btf_id: btfId,
  }));
  return fd === undefined ? undefined : r.own(fd);
}

/** `union bpf_iter_link_info` for a task iterator: tid, pid, pid_fd. */
function taskInfo(r: CaseRunner, tid: number, pid: number, pidFd: number, size = 16): bigint {
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, tid, true);
  v.setUint32(4, pid, true);
  v.setUint32(8, pidFd, true);
  return r.mem(out);
}

function link(r: CaseRunner, step: string, fields: LinkCreateAttr): number | undefined {
  const fd = r.call(step, BpfCmd.BPF_LINK_CREATE, encodeLinkCreateAttr({ attach_type: A.BPF_TRACE_ITER, ...fields }));
  return fd === undefined ? undefined : r.own(fd);
}

/**
 * BPF iterator links (task, bpf_map): the link info and fdinfo of each, the task
 * iterator's tid/pid/pid_fd, `iter_info` and its length, BPF_ITER_CREATE's checks,
 * detach and program update; an iterator fd read to its end.
 */
const ITER: SyscallCase = {
  name: 'links: BPF iterators (task, bpf_map): link info, task filters, ITER_CREATE checks, update',
  run(r) {
    const btf = kernelBtf(r);
    const taskId = btf?.byName('bpf_iter_task', 'FUNC');
    const mapId = btf?.byName('bpf_iter_bpf_map', 'FUNC');
    r.record('the kernel has the task and bpf_map iterators', taskId !== undefined && mapId !== undefined);
    if (taskId === undefined || mapId === undefined) return;
    const task = loadIter(r, 'task', taskId);
    const map = loadIter(r, 'bpf_map', mapId);
    if (task === undefined || map === undefined) return;
    const all = link(r, 'task: every task', { prog_fd: task });
    if (all !== undefined) {
      linkInfo(r, 'task: info', all, task, { nameLen: 16 });
      linkInfo(r, 'task: info, name buffer too short', all, task, { nameLen: 3 });
      linkInfo(r, 'task: info, a buffer without its length', all, task, { nameLen: 0 });
      linkInfo(r, 'task: info without a buffer', all, task);
      linkFdinfo(r, 'task: fdinfo', all, task);
    }
    const tid = link(r, 'task: one thread (not looked up)', { prog_fd: task, iter_info: taskInfo(r, 7, 0, 0), iter_info_len: 16 });
    if (tid !== undefined) {
      linkInfo(r, 'tid: info', tid, task, { nameLen: 16 });
      linkFdinfo(r, 'tid: fdinfo', tid, task);
    }
    const pid = link(r, 'task: one process', { prog_fd: task, iter_info: taskInfo(r, 0, 9, 0), iter_info_len: 16 });
    if (pid !== undefined) {
      linkInfo(r, 'pid: info', pid, task, { nameLen: 16 });
      linkFdinfo(r, 'pid: fdinfo', pid, task);
    }
    link(r, 'task: 4 bytes of link info', { prog_fd: task, iter_info: taskInfo(r, 5, 0, 0), iter_info_len: 4 });
    link(r, 'task: tid and pid', { prog_fd: task, iter_info: taskInfo(r, 1, 1, 0), iter_info_len: 16 });
    link(r, 'task: a pid_fd that is not open', { prog_fd: task, iter_info: taskInfo(r, 0, 0, 999), iter_info_len: 16 });
    link(r, 'task: iter_info without its length', { prog_fd: task, iter_info: taskInfo(r, 0, 0, 0), iter_info_len: 0 });
    link(r, 'task: a length without iter_info', { prog_fd: task, iter_info_len: 16 });
    const tail = new Uint8Array(32);
    tail[20] = 1;
    link(r, 'task: nonzero bytes past the union', { prog_fd: task, iter_info: r.mem(tail), iter_info_len: 32 });
    link(r, 'task: zero bytes past the union', { prog_fd: task, iter_info: r.mem(32), iter_info_len: 32 });
    link(r, 'task: flags', { prog_fd: task, flags: 1 });
    link(r, 'task: target_fd', { prog_fd: task, target_fd: 1 });
    const m = link(r, 'bpf_map: every map', { prog_fd: map });
    if (m !== undefined) {
      linkInfo(r, 'bpf_map: info', m, map, { nameLen: 16 });
      linkFdinfo(r, 'bpf_map: fdinfo', m, map);
    }
    if (all === undefined) return;
    const create = (step: string, linkFd: number, flags = 0): void => {
      const fd = r.call(step, BpfCmd.BPF_ITER_CREATE, encodeAttr(BpfCmd.BPF_ITER_CREATE, { link_fd: linkFd, flags }));
      if (fd !== undefined) r.close(fd);
    };
    const reader = r.sys as typeof r.sys & { read?(fd: number, length: number): Uint8Array };
    if (tid !== undefined && reader.read !== undefined) {
      const fd = r.call('ITER_CREATE of the one-thread iterator', BpfCmd.BPF_ITER_CREATE, encodeAttr(BpfCmd.BPF_ITER_CREATE, { link_fd: tid }));
      if (fd !== undefined) {
        r.own(fd);
        r.record('read: the program (r0 = 0) writes nothing', reader.read(fd, 4096).length);
        r.record('read again: at the end', reader.read(fd, 4096).length);
        r.close(fd);
      }
    }
    create('ITER_CREATE: flags', all, 1);
    create('ITER_CREATE: an fd that is not open', 999);
    create('ITER_CREATE: a program fd', task);
    r.call('detach', BpfCmd.BPF_LINK_DETACH, encodeLinkDetachAttr({ link_fd: all }));
    const upd = (step: string, fields: Parameters<typeof encodeLinkUpdateAttr>[0]): void => { r.call(step, BpfCmd.BPF_LINK_UPDATE, encodeLinkUpdateAttr(fields)); };
    upd('update: the same program', { link_fd: all, new_prog_fd: task });
    upd('update: an iterator of another target', { link_fd: all, new_prog_fd: map });
    upd('update: BPF_F_REPLACE with another old program', { link_fd: all, new_prog_fd: task, flags: BPF_F_REPLACE, old_prog_fd: map });
    upd('update: BPF_F_REPLACE with the old program', { link_fd: all, new_prog_fd: task, flags: BPF_F_REPLACE, old_prog_fd: task });
    linkInfo(r, 'task: info after the updates', all, task, { nameLen: 16 });
  },
};

/** BPF iterator links. */
export const ITER_LINK_CASES: readonly SyscallCase[] = [ITER];
