import { BpfError } from '@bpfkit/kernel-api';
import { BpfCmd, BpfLinkType, decodeAttr } from '@bpfkit/uapi';
import { check, checkAttr, traceCheck } from '../bpf/check.js';
import type { IterTaskFilter, LinkRecord } from '../bpf/link-record.js';
import { linkGet } from '../bpf/link-get.js';
import type { BpfObject } from '../bpf/objects.js';
import type { ProgRecord } from '../bpf/prog-record.js';
import { kernelBtfOf } from '../btf/object.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { runIterator } from './iter-run.js';
import { primeAndFail, primeAndSettle } from './link-attach.js';

/** `sizeof(union bpf_iter_link_info)`. */
const LINK_INFO_SIZE = 16;

/** The iterator targets the simulated kernel registers (`bpf_iter_reg_target`): they take no link info, or a task. */
const TARGETS = new Set(['task', 'bpf_map', 'bpf_prog']);

/** The target an iterator program was loaded for: its `attach_btf_id` names `bpf_iter_<target>`. */
function targetOf(task: SyscallContext, p: ProgRecord): string | undefined {
  const btf = kernelBtfOf(task.core.objects.byId('btf', p.attachBtfObjId ?? 1));
  const name = btf?.view.type(p.attachBtfId)?.name;
  return name?.startsWith('bpf_iter_') === true ? name.slice('bpf_iter_'.length) : undefined;
}

/**
 * `bpf_iter_attach_task`: at most one of tid, pid and pid_fd (EINVAL); a pid_fd must be a
 * pidfd (EBADF: the simulated kernel has none). A tid or pid is kept as given, not looked up.
 */
function attachTask(tid: number, pid: number, pidFd: number): IterTaskFilter {
  if (Number(tid !== 0) + Number(pid !== 0) + Number(pidFd !== 0) > 1) {
    throw new BpfError('EINVAL', 'link:iter-task-filter', 'a task iterator takes one of tid, pid and pid_fd');
  }
  if (pidFd !== 0) throw new BpfError('EBADF', 'link:not-a-pidfd', `fd ${pidFd} is not a pidfd (the simulated kernel has no pidfds)`);
  if (tid !== 0) return { type: 'TID', pid: tid };
  if (pid !== 0) return { type: 'PID', pid };
  return { type: 'ALL', pid: 0 };
}

/**
 * `bpf_iter_link_attach`: target_fd and flags must be 0 and `iter_info` come with
 * `iter_info_len` (EINVAL); bytes past the union must be zero (E2BIG) and readable
 * (EFAULT); the program's target must be registered (ENOENT; targets the simulated kernel
 * does not register are ENOTSUPP). The link is then primed (its id used up) and the target
 * checks its link info (a task iterator: {@link attachTask}). Consumes `prog`'s reference on success.
 */
export function iterLinkAttach(task: SyscallContext, prog: BpfObject, attr: { target_fd: number; flags: number; iter_info: bigint; iter_info_len: number }, attachType: number): number {
  const core = task.core;
  check(core, 'bpf_iter_link_attach:target_fd-flags', attr.target_fd === 0 && attr.flags === 0, 'EINVAL', 'link:iter-target-fd', {
    pass: 'no target_fd or flags', fail: 'an iterator link takes no target_fd and no flags',
  });
  const uinfo = attr.iter_info;
  const len = attr.iter_info_len;
  check(core, 'bpf_iter_link_attach:iter_info', (uinfo === 0n) === (len === 0), 'EINVAL', 'link:iter-info', {
    pass: len === 0 ? 'no link info' : `${len} bytes of link info`, fail: 'iter_info and iter_info_len must be given together',
  });
  const info = new Uint8Array(LINK_INFO_SIZE);
  if (uinfo !== 0n) {
    if (len > LINK_INFO_SIZE) {
      const tail = task.memory.read(uinfo + BigInt(LINK_INFO_SIZE), len - LINK_INFO_SIZE);
      check(core, 'bpf_check_uarg_tail_zero', tail.every((b) => b === 0), 'E2BIG', 'link:iter-info-tail', {
        pass: 'the bytes past union bpf_iter_link_info are zero', fail: `iter_info has nonzero bytes past its ${LINK_INFO_SIZE}`,
      });
    }
    info.set(task.memory.read(uinfo, Math.min(len, LINK_INFO_SIZE)));
  }
  const target = targetOf(task, prog.impl as ProgRecord);
  check(core, 'bpf_iter_link_attach:target', target !== undefined, 'ENOENT', 'link:no-iter-target', {
    pass: `iterator target ${target ?? ''}`, fail: 'the program names no registered iterator target',
  });
  if (target === undefined || !TARGETS.has(target)) {
    const why = `the ${target ?? '?'} iterator target is not simulated by bpfkit (task, bpf_map and bpf_prog are)`;
    traceCheck(core, 'bpf_iter_link_attach:target', false, 'ENOTSUPP', { pass: why, fail: why });
    throw new BpfError('ENOTSUPP', 'kernel:iter-target-not-simulated', why);
  }
  const id = primeAndFail(task);
  const v = new DataView(info.buffer);
  const filter = target === 'task' ? attachTask(v.getUint32(0, true), v.getUint32(4, true), v.getUint32(8, true)) : undefined;
  const record: LinkRecord = {
    type: BpfLinkType.BPF_LINK_TYPE_ITER, attachType, prog, target: { kind: 'iter', target, ...(filter === undefined ? {} : { task: filter }) },
  };
  return primeAndSettle(task, id, record, () => undefined);
}

/**
 * `bpf_iter_link_replace` (BPF_LINK_UPDATE of an iterator link): with BPF_F_REPLACE the
 * link's program must be `oldProg` (EPERM); the new program must have the same type,
 * expected attach type and target (EINVAL). Swaps the link's reference.
 */
export function iterLinkUpdate(link: LinkRecord, newProg: BpfObject, oldProg: BpfObject | undefined): void {
  if (oldProg !== undefined && link.prog !== oldProg) throw new BpfError('EPERM', 'link:old-prog-mismatch', 'the link does not run old_prog_fd\'s program');
  const cur = link.prog.impl as ProgRecord;
  const next = newProg.impl as ProgRecord;
  if (cur.progType !== next.progType || cur.expectedAttachType !== next.expectedAttachType || cur.attachBtfId !== next.attachBtfId) {
    throw new BpfError('EINVAL', 'link:iter-update-target', 'the new program is not an iterator of the same target');
  }
  newProg.get();
  const old = link.prog;
  link.prog = newProg;
  old.put();
}

/**
 * BPF_ITER_CREATE (`bpf_iter_create`): CHECK_ATTR, no flags (EINVAL), the link fd (EBADF),
 * an iterator link (EINVAL); then a `bpf_iter` fd (O_CLOEXEC) holding the link, whose
 * first read runs the program over the target's objects (see {@link runIterator}).
 */
export function iterCreate(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_ITER_CREATE, bytes);
  const attr = decodeAttr(BpfCmd.BPF_ITER_CREATE, bytes);
  check(core, 'bpf_iter_create:flags', attr.flags === 0, 'EINVAL', 'iter:flags', { pass: 'no flags', fail: `flags 0x${attr.flags.toString(16)} must be 0` });
  const { obj, link } = linkGet(task, attr.link_fd, 'bpf_iter_create');
  check(core, 'bpf_link_is_iter', link.target.kind === 'iter', 'EINVAL', 'iter:not-an-iterator-link', {
    pass: `link #${obj.id} is an iterator link`, fail: `link #${obj.id} is not an iterator link`,
  });
  // bpf_iter_new_fd: the file holds the link; the program runs when the file is first read.
  obj.get();
  let content: Uint8Array | undefined;
  let pos = 0;
  const read = (length: number): Uint8Array => {
    content ??= runIterator(task, link);
    const out = content.slice(pos, pos + length);
    pos += out.length;
    return out;
  };
  const file = core.newFile('bpf-iter', false, 0, { iter: { read }, linkText: 'anon_inode:bpf_iter' }, () => { obj.put(); });
  try {
    return task.fdTable.install(file, { cloexec: true });
  } catch (e) {
    file.get().put();
    throw e;
  }
}
