import { BpfError } from '@bpfkit/kernel-api';
import { BpfAttachType as A, BpfLinkType, BpfProgType as P } from '@bpfkit/uapi';
import { check, readCString, traceCheck } from '../bpf/check.js';
import type { LinkRecord, LinkTarget } from '../bpf/link-record.js';
import type { BpfObject } from '../bpf/objects.js';
import type { ProgRecord } from '../bpf/prog-record.js';
import { findRawTracepoint } from '../bpf/tracepoints.js';
import { kernelBtfOf } from '../btf/object.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { installObjectFd } from './fd-install.js';
import { perfEventDetachBpfProg, perfEventSetBpfProg } from '../perf/bpf-attach.js';

/** `BPF_OBJ_NAME_LEN`-independent buffer of `bpf_raw_tp_link_attach` for the tracepoint name (128 bytes, NUL included). */
const TP_NAME_BUF = 128;

/** Programs linked into their BPF trampoline right now (`tr->progs_hlist`): a second link of one is EBUSY. */
const trampolineLinked = new WeakSet<BpfObject>();

/**
 * `bpf_link_prime` + `bpf_link_settle`: the link gets the next id of the link IDR (an
 * id is consumed even when the attach after priming fails) and an `anon_inode:bpf_link`
 * fd, O_CLOEXEC. The link holds `prog`'s reference (the caller's); `release` runs
 * when the last reference goes (detaching from the attach point), then the program is put.
 */
export function primeAndSettle(task: SyscallContext, id: number, record: LinkRecord, release: () => void): number {
  const obj = task.core.objects.create('link', id, '', record, () => {
    release();
    record.prog.put();
  });
  return installObjectFd(task, 'bpf-link', obj);
}

/** `bpf_link_prime` for an attach that fails after it: the id is allocated (and lost), nothing else stays. */
export function primeAndFail(task: SyscallContext): number {
  return task.core.objects.nextId('link');
}

/** The name of the `btf_trace_<name>` typedef a tp_btf program was loaded against (`prog->aux->attach_func_name` minus the prefix). */
function tpBtfName(task: SyscallContext, p: ProgRecord): string | undefined {
  const btf = kernelBtfOf(task.core.objects.byId('btf', p.attachBtfObjId ?? 1));
  const name = btf?.view.type(p.attachBtfId)?.name;
  return name?.startsWith('btf_trace_') === true ? name.slice('btf_trace_'.length) : undefined;
}

/**
 * `bpf_tracing_prog_attach` for kernel targets: the program's type and expected attach
 * type (EINVAL), `target_fd` and `target_btf_id` given together and only for freplace
 * (EINVAL), a load-time attach BTF (EINVAL), then its trampoline: the program may sit in
 * it once (EBUSY while another link of it lives). Consumes `prog`'s reference on success.
 */
export function tracingProgAttach(task: SyscallContext, prog: BpfObject, tgtProgFd: number, btfId: number, cookie: bigint, attachType: number): number {
  const core = task.core;
  const p = prog.impl as ProgRecord;
  const okType =
    (p.progType === P.BPF_PROG_TYPE_TRACING &&
      (p.expectedAttachType === A.BPF_TRACE_FENTRY || p.expectedAttachType === A.BPF_TRACE_FEXIT || p.expectedAttachType === A.BPF_MODIFY_RETURN)) ||
    (p.progType === P.BPF_PROG_TYPE_LSM && p.expectedAttachType === A.BPF_LSM_MAC) ||
    (p.progType === P.BPF_PROG_TYPE_EXT && p.expectedAttachType === 0);
  check(core, 'bpf_tracing_prog_attach:type', okType, 'EINVAL', 'link:tracing-prog-type', {
    pass: `program type ${p.progType} with expected attach type ${p.expectedAttachType} goes through a trampoline`,
    fail: `program type ${p.progType} with expected attach type ${p.expectedAttachType} cannot be attached through a trampoline`,
  });
  check(core, 'bpf_tracing_prog_attach:target', (tgtProgFd !== 0) === (btfId !== 0), 'EINVAL', 'link:tracing-target', {
    pass: tgtProgFd === 0 ? 'no target program: the load-time target is used' : 'target_fd and target_btf_id both given',
    fail: 'target_fd and target_btf_id must be given together',
  });
  if (tgtProgFd !== 0) {
    check(core, 'bpf_tracing_prog_attach:new-target', p.progType === P.BPF_PROG_TYPE_EXT, 'EINVAL', 'link:tracing-retarget', {
      pass: 'an freplace program may name a new target',
      fail: 'only freplace (BPF_PROG_TYPE_EXT) programs may name a target at attach time',
    });
  }
  if (p.progType === P.BPF_PROG_TYPE_EXT) {
    throw new BpfError('ENOTSUPP', 'kernel:freplace-not-simulated', 'attaching freplace programs is not simulated by bpfkit');
  }
  check(core, 'bpf_tracing_prog_attach:attach_btf', p.attachBtfObjId !== undefined, 'EINVAL', 'link:no-attach-btf', {
    pass: `the program was loaded against BTF object #${p.attachBtfObjId ?? '?'} type ${p.attachBtfId}`,
    fail: 'the program has no attach BTF to find its trampoline by',
  });
  const id = primeAndFail(task);
  check(core, 'bpf_trampoline_link_prog', !trampolineLinked.has(prog), 'EBUSY', 'link:prog-already-linked', {
    pass: `program #${prog.id} is not in its trampoline yet`,
    fail: `program #${prog.id} is already linked into its trampoline`,
  }, 'close the other link of this program first');
  trampolineLinked.add(prog);
  const target: LinkTarget = { kind: 'tracing', targetObjId: p.attachBtfObjId ?? 1, targetBtfId: p.attachBtfId, cookie };
  return primeAndSettle(task, id, { type: BpfLinkType.BPF_LINK_TYPE_TRACING, attachType, prog, target }, () => {
    trampolineLinked.delete(prog);
  });
}

/**
 * `bpf_raw_tp_link_attach`: tp_btf programs take their tracepoint from the load (a name
 * is EINVAL), fentry/fexit/fmod_ret/lsm go to {@link tracingProgAttach}, raw_tp programs
 * name it (`userName` 0 is EFAULT, at most 127 bytes are read), any other type is EINVAL;
 * an unknown tracepoint is ENOENT. Consumes `prog`'s reference on success.
 */
export function rawTpLinkAttach(task: SyscallContext, prog: BpfObject, userName: bigint, cookie: bigint, attachType: number): number {
  const core = task.core;
  const p = prog.impl as ProgRecord;
  let tpName: string;
  switch (p.progType) {
    case P.BPF_PROG_TYPE_TRACING:
    case P.BPF_PROG_TYPE_EXT:
    case P.BPF_PROG_TYPE_LSM: {
      check(core, 'bpf_raw_tp_link_attach:name', userName === 0n, 'EINVAL', 'link:tp-name-for-btf-prog', {
        pass: 'no tracepoint name: the target came with the load',
        fail: 'a tracepoint name was given for a program whose target comes from its load (attach_btf_id)',
      });
      if (p.progType !== P.BPF_PROG_TYPE_TRACING || p.expectedAttachType !== A.BPF_TRACE_RAW_TP) {
        return tracingProgAttach(task, prog, 0, 0, 0n, attachType);
      }
      const name = tpBtfName(task, p);
      if (name === undefined) throw new BpfError('EINVAL', 'link:tp-btf-target', 'the tp_btf program has no btf_trace_ target');
      tpName = name;
      break;
    }
    case P.BPF_PROG_TYPE_RAW_TRACEPOINT:
    case P.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE: {
      check(core, 'bpf_raw_tp_link_attach:strncpy_from_user', userName !== 0n, 'EFAULT', 'link:tp-name-null', {
        pass: 'the tracepoint name pointer is set',
        fail: 'the tracepoint name pointer is NULL',
      });
      tpName = readCString((a, n) => task.memory.read(a, n), userName, TP_NAME_BUF - 1).text;
      break;
    }
    default: {
      const why = `program type ${p.progType} cannot be attached to a raw tracepoint`;
      traceCheck(core, 'bpf_raw_tp_link_attach:type', false, 'EINVAL', { pass: why, fail: why });
      throw new BpfError('EINVAL', 'link:raw-tp-prog-type', why);
    }
  }
  const tp = findRawTracepoint(core, tpName);
  check(core, 'bpf_get_raw_tracepoint', tp !== undefined, 'ENOENT', 'link:no-such-tracepoint', {
    pass: `raw tracepoint ${tpName} exists`,
    fail: `no raw tracepoint named '${tpName}'`,
  }, 'raw tracepoints are named without their subsystem: sched_process_exec, sys_enter');
  const id = primeAndFail(task);
  const target: LinkTarget = { kind: 'raw_tracepoint', tpName, cookie };
  return primeAndSettle(task, id, { type: BpfLinkType.BPF_LINK_TYPE_RAW_TRACEPOINT, attachType, prog, target }, () => undefined);
}

/**
 * `bpf_perf_link_attach`: flags must be 0 (EINVAL), `target_fd` a perf event (EBADF), then
 * after `bpf_link_prime` the event takes the program (`perf_event_set_bpf_prog`: perf_event
 * programs on software events, tracepoint programs on tracepoint and syscall events,
 * kprobe programs on kprobe and uprobe events, else EINVAL; one program per event, EEXIST).
 * The link holds the perf event's file. Consumes `prog`'s reference on success.
 */
export function perfLinkAttach(task: SyscallContext, prog: BpfObject, flags: number, targetFd: number, cookie: bigint, attachType: number): number {
  const core = task.core;
  check(core, 'bpf_perf_link_attach:flags', flags === 0, 'EINVAL', 'link:flags', { pass: 'flags is 0', fail: `flags 0x${flags.toString(16)} must be 0` });
  const e = task.fdTable.get(targetFd);
  const event = e === undefined || e.file.opath ? undefined : e.file.payload.perf;
  check(core, 'perf_event_get', event !== undefined, 'EBADF', 'link:not-a-perf-event', {
    pass: `target_fd ${targetFd} is a perf event`,
    fail: `target_fd ${targetFd} is not a perf event`,
  });
  if (e === undefined || event === undefined) throw new BpfError('EBADF', 'link:not-a-perf-event', `target_fd ${targetFd} is not a perf event`);
  const id = primeAndFail(task);
  perfEventSetBpfProg(core, event, prog, cookie);
  const file = e.file.get();
  const trace = event.attrs.trace;
  const target: LinkTarget = { kind: 'perf_event', eventType: event.attrs.type, config: event.attrs.config, cookie, ...(trace === undefined ? {} : { trace }) };
  return primeAndSettle(task, id, { type: BpfLinkType.BPF_LINK_TYPE_PERF_EVENT, attachType, prog, target }, () => {
    perfEventDetachBpfProg(core, event);
    file.put();
  });
}
