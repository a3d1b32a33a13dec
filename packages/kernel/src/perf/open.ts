import {
  BpfError, PERF_COUNT_SW_BPF_OUTPUT, PERF_COUNT_SW_MAX, PERF_FLAG_FD_CLOEXEC, PERF_FLAG_PID_CGROUP, PERF_SAMPLE_RAW,
  PERF_TYPE_SOFTWARE, PerfAttrFlag as F,
} from '@bpfkit/kernel-api';
import { Capability } from '@bpfkit/uapi';
import { check } from '../bpf/check.js';
import type { KernelCore } from '../core.js';
import type { TaskImpl } from '../task/task.js';
import { copyPerfAttr } from './attr.js';
import { perfEventDetachBpfProg } from './bpf-attach.js';
import { PerfEvent } from './event.js';
import { tracingPmuInit } from './trace-init.js';

/** Every `perf_event_open()` flag (`PERF_FLAG_ALL`). */
const PERF_FLAG_ALL = 0xf;
/** `PERF_SAMPLE_PHYS_ADDR`: physical addresses need the kernel-access check again. */
const PERF_SAMPLE_PHYS_ADDR = 1n << 19n;
/** `PERF_SAMPLE_BRANCH_STACK`: software events have none (EOPNOTSUPP). */
const PERF_SAMPLE_BRANCH_STACK = 1n << 11n;
/** `sysctl_perf_event_paranoid` as 6.18 boots (2): counting kernel code needs CAP_PERFMON. */
const PERF_EVENT_PARANOID = 2;
/** `kernel.perf_event_max_sample_rate` at boot. */
const MAX_SAMPLE_RATE = 100_000n;

const eventIds = new WeakMap<KernelCore, number>();

/** `perf_event_id`: a kernel-wide counter, starting at 1. */
function nextEventId(core: KernelCore): number {
  const id = (eventIds.get(core) ?? 0) + 1;
  eventIds.set(core, id);
  return id;
}

/** `perfmon_capable()`: CAP_PERFMON or CAP_SYS_ADMIN in the initial user namespace. */
function perfmonCapable(task: TaskImpl): boolean {
  return task.core.capable(task.cred, Capability.CAP_PERFMON) || task.core.capable(task.cred, Capability.CAP_SYS_ADMIN);
}

/** `perf_allow_kernel()`: with paranoid above 1, only CAP_PERFMON may count kernel code (EACCES). */
function allowKernel(task: TaskImpl, id: string): void {
  const ok = PERF_EVENT_PARANOID <= 1 || perfmonCapable(task);
  check(task.core, id, ok, 'EACCES', 'caps:missing-CAP_PERFMON', {
    pass: 'kernel events are allowed (CAP_PERFMON, or perf_event_paranoid <= 1)',
    fail: 'perf_event_paranoid is 2: an event that is not exclude_kernel needs CAP_PERFMON (or CAP_SYS_ADMIN)',
  });
}

/**
 * `perf_event_open(attr, pid, cpu, group_fd, flags)` in the order of the
 * syscall: flags, `perf_copy_attr`, the kernel-access checks, frequency and
 * period, cgroup mode, the group fd, the task, then `perf_event_alloc` (the
 * CPU) and the PMU (`perf_swevent_init`: ENOENT past the software events).
 * The simulated kernel opens CPU-bound (`pid == -1`) `PERF_COUNT_SW_BPF_OUTPUT`
 * events, with `PERF_SAMPLE_RAW` or no sample fields, and events of the tracing
 * PMUs (tracepoints by tracefs id, kprobes and uprobes: see `tracingPmuInit`) that
 * BPF programs attach to, CPU-wide or for one task (`cpu` -1): other events, groups
 * and per-task software events are EOPNOTSUPP (`perf:unmodelled-*`). Returns the new fd.
 */
export function perfEventOpen(task: TaskImpl, bytes: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number): number {
  const core = task.core;
  for (const [name, v] of [['pid', pid], ['cpu', cpu], ['group_fd', groupFd], ['flags', flags]] as const) {
    if (!Number.isInteger(v) || v < -0x8000_0000 || v > 0xffff_ffff) throw new BpfError('EINVAL', 'perf:bad-argument', `perf_event_open: ${name} ${v} is not an integer`);
  }
  if ((flags & ~PERF_FLAG_ALL) !== 0) throw new BpfError('EINVAL', 'perf:flags', `perf_event_open: unknown flags 0x${(flags >>> 0).toString(16)}`);
  const attr = copyPerfAttr(bytes);
  if (!attr.has(F.excludeKernel)) allowKernel(task, 'perf_event_open:perf_allow_kernel');
  if (attr.has(F.namespaces)) {
    check(core, 'perf_event_open:namespaces', perfmonCapable(task), 'EACCES', 'caps:missing-CAP_PERFMON', {
      pass: 'namespace events: CAP_PERFMON held', fail: 'namespace events need CAP_PERFMON',
    });
  }
  if (attr.has(F.freq) ? attr.samplePeriod > MAX_SAMPLE_RATE : attr.samplePeriod >= 1n << 63n) {
    throw new BpfError('EINVAL', 'perf:sample-period', attr.has(F.freq) ? `sample_freq ${attr.samplePeriod} is above perf_event_max_sample_rate` : 'sample_period has bit 63 set');
  }
  if ((attr.sampleType & PERF_SAMPLE_PHYS_ADDR) !== 0n) allowKernel(task, 'perf_event_open:phys_addr');
  if ((flags & PERF_FLAG_PID_CGROUP) !== 0 && (pid === -1 || cpu === -1)) {
    throw new BpfError('EINVAL', 'perf:cgroup-mode', 'PERF_FLAG_PID_CGROUP needs a cgroup fd in pid and a CPU');
  }
  if (groupFd !== -1) {
    const e = task.fdTable.get(groupFd);
    if (e === undefined || e.file.opath || e.file.kind !== 'perf-event') throw new BpfError('EBADF', 'perf:group-fd', `group_fd ${groupFd} is not a perf event`);
    throw new BpfError('EOPNOTSUPP', 'perf:unmodelled-group', 'event groups are not modelled by the simulated kernel');
  }
  if ((flags & PERF_FLAG_PID_CGROUP) !== 0) throw new BpfError('EOPNOTSUPP', 'perf:unmodelled-cgroup', 'cgroup events are not modelled by the simulated kernel');
  const perTask = pid !== -1;
  if (perTask && (pid < -1 || (pid !== 0 && core.tasks.get(pid)?.alive !== true))) throw new BpfError('ESRCH', 'perf:no-task', `no task ${pid}`);
  // perf_event_alloc: a CPU below nr_cpu_ids, or -1 (any CPU) for a task's event.
  if (cpu < -1 || cpu >= core.cpus || (cpu === -1 && !perTask)) {
    throw new BpfError('EINVAL', 'perf:cpu', `cpu ${cpu} is not a possible CPU (0..${core.cpus - 1})${perTask ? ' or -1' : ', and pid -1 needs one'}`);
  }
  if (attr.has(F.sigtrap) && !perTask) throw new BpfError('EINVAL', 'perf:sigtrap-no-task', 'sigtrap needs a task');
  const trace = attr.type === PERF_TYPE_SOFTWARE ? undefined : tracingPmuInit(task, attr);
  // Tracing events only count where they fire, so a task's one is the same attach point; other per-task events are not modelled.
  if (perTask && trace === undefined) {
    throw new BpfError('EOPNOTSUPP', 'perf:unmodelled-task', 'per-task software events are not modelled by the simulated kernel (pid must be -1)');
  }
  if (trace === undefined) {
    if (attr.type !== PERF_TYPE_SOFTWARE) throw new BpfError('ENOENT', 'perf:unmodelled-type', `no PMU of type ${attr.type} in the simulated kernel`);
    if ((attr.sampleType & PERF_SAMPLE_BRANCH_STACK) !== 0n) throw new BpfError('EOPNOTSUPP', 'perf:branch-stack', 'software events have no branch stack');
    if (attr.config >= BigInt(PERF_COUNT_SW_MAX)) throw new BpfError('ENOENT', 'perf:sw-config', `no software event ${attr.config}`);
    if (attr.config !== BigInt(PERF_COUNT_SW_BPF_OUTPUT)) {
      throw new BpfError('EOPNOTSUPP', 'perf:unmodelled-event', `software event ${attr.config} is not modelled (only PERF_COUNT_SW_BPF_OUTPUT)`);
    }
  }
  // perf_event_alloc's AUX checks: software events have no AUX area to output to, pause or resume.
  if (attr.has(F.auxOutput)) throw new BpfError('EOPNOTSUPP', 'perf:aux-output', 'aux_output needs a PMU with an AUX area');
  const auxPause = (attr.auxAction & 2) !== 0;
  const auxResume = (attr.auxAction & 4) !== 0;
  if (auxPause && auxResume) throw new BpfError('EINVAL', 'perf:aux-pause-resume', 'aux_pause and aux_resume exclude each other');
  if ((attr.auxAction & 1) !== 0) throw new BpfError('EOPNOTSUPP', 'perf:aux-start-paused', 'aux_start_paused needs a PMU that can pause its AUX area');
  if (auxPause || auxResume) throw new BpfError('EINVAL', 'perf:aux-pause-no-group', 'aux_pause/aux_resume need an AUX event as group leader');
  if (trace === undefined && (attr.sampleType & ~BigInt(PERF_SAMPLE_RAW)) !== 0n) {
    throw new BpfError('EOPNOTSUPP', 'perf:unmodelled-sample-type', `sample_type 0x${attr.sampleType.toString(16)}: only PERF_SAMPLE_RAW is modelled`);
  }
  const event = new PerfEvent(nextEventId(core), cpu, {
    type: attr.type, config: attr.config, sampleType: attr.sampleType, disabled: attr.has(F.disabled), inherit: attr.has(F.inherit),
    ...(trace === undefined ? {} : { trace }),
  });
  const file = core.newFile('perf-event', false, 2, { perf: event, linkText: 'anon_inode:[perf_event]' }, () => {
    event.ring = undefined;
    // perf_event_free_bpf_prog: the program PERF_EVENT_IOC_SET_BPF gave the event goes with it.
    const prog = event.prog;
    perfEventDetachBpfProg(core, event);
    prog?.obj.put();
  });
  try {
    return task.fdTable.install(file, { cloexec: (flags & PERF_FLAG_FD_CLOEXEC) !== 0 });
  } catch (e) {
    file.get().put();
    throw e;
  }
}
