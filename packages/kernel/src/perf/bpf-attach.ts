import { BpfError, PERF_TYPE_SOFTWARE } from '@bpfkit/kernel-api';
import { BpfProgType as P } from '@bpfkit/uapi';
import { check } from '../bpf/check.js';
import type { BpfObject } from '../bpf/objects.js';
import type { ProgRecord } from '../bpf/prog-record.js';
import type { KernelCore } from '../core.js';
import type { PerfEvent } from './event.js';

/** `PERF_TYPE_HARDWARE`: with software events, the events a perf_event program handles. */
const PERF_TYPE_HARDWARE = 0;
/** `BPF_TRACE_MAX_PROGS`: programs one trace event runs. */
const BPF_TRACE_MAX_PROGS = 64;

/**
 * `tp_event->prog_array` of the static trace events, by event id: every perf event of a
 * tracepoint (any CPU) shares it. Kprobe and uprobe PMU events each have their own
 * trace event, so their one program is the event's.
 */
const progArrays = new WeakMap<KernelCore, Map<number, Set<BpfObject>>>();

function progArrayOf(core: KernelCore, event: PerfEvent): Set<BpfObject> | undefined {
  const trace = event.attrs.trace;
  if (trace === undefined || !('event' in trace)) return undefined;
  let byId = progArrays.get(core);
  if (byId === undefined) progArrays.set(core, (byId = new Map<number, Set<BpfObject>>()));
  let set = byId.get(trace.event.id);
  if (set === undefined) byId.set(trace.event.id, (set = new Set<BpfObject>()));
  return set;
}

/** Which program type an event of this kind takes (`perf_event_set_bpf_prog`). */
function progTypeFor(event: PerfEvent): { readonly type: number; readonly what: string } {
  const trace = event.attrs.trace;
  if (trace === undefined) return { type: P.BPF_PROG_TYPE_PERF_EVENT, what: 'a software perf event' };
  if (trace.kind === 'kprobe' || trace.kind === 'uprobe') return { type: P.BPF_PROG_TYPE_KPROBE, what: `a ${trace.kind} event` };
  return { type: P.BPF_PROG_TYPE_TRACEPOINT, what: trace.kind === 'syscall' ? 'a syscall trace event' : 'a tracepoint event' };
}

/**
 * `perf_event_set_bpf_prog` (the PERF_EVENT_IOC_SET_BPF ioctl and BPF_PERF_EVENT links):
 * a hardware or software event takes a perf_event program through
 * `perf_event_set_bpf_handler` (EEXIST when it has one, then EINVAL for another type);
 * a tracing event checks the program type first (kprobe programs on kprobe and uprobe
 * events, tracepoint programs on tracepoint and syscall events: EINVAL), then
 * `perf_event_attach_bpf_prog` refuses a second program on the event (EEXIST), a 65th on
 * the trace event (E2BIG) and one the trace event already runs through another perf
 * event of it (EEXIST: a tracepoint's events share its program array). The event keeps
 * `prog` (the caller's reference) and `cookie` until {@link perfEventDetachBpfProg}.
 * `max_ctx_offset` (EACCES for a tracepoint program reading past the record) is not
 * checked: the simulated verifier does not track it.
 */
export function perfEventSetBpfProg(core: KernelCore, event: PerfEvent, prog: BpfObject, cookie: bigint): void {
  const p = prog.impl as ProgRecord;
  const want = progTypeFor(event);
  const typeOk = p.progType === want.type;
  const typeDetail = {
    pass: `program type ${p.progType} attaches to ${want.what}`,
    fail: `program type ${p.progType} cannot attach to ${want.what} (it takes program type ${want.type})`,
  };
  const taken = { pass: 'the perf event has no program yet', fail: 'the perf event already has a program' };
  if (event.attrs.trace === undefined) {
    const handler = event.attrs.type === PERF_TYPE_HARDWARE || event.attrs.type === PERF_TYPE_SOFTWARE;
    if (!handler) throw new BpfError('EINVAL', 'perf:bpf-not-tracing', 'BPF programs attach to hardware, software and tracing events only');
    check(core, 'perf_event_set_bpf_handler:prog', event.prog === undefined, 'EEXIST', 'link:perf-event-has-prog', taken);
    check(core, 'perf_event_set_bpf_handler:type', typeOk, 'EINVAL', 'link:perf-event-prog-type', typeDetail);
  } else {
    check(core, 'perf_event_set_bpf_prog:type', typeOk, 'EINVAL', 'link:perf-event-prog-type', typeDetail);
    check(core, 'perf_event_attach_bpf_prog', event.prog === undefined, 'EEXIST', 'link:perf-event-has-prog', taken);
    const array = progArrayOf(core, event);
    if (array !== undefined) {
      check(core, 'perf_event_attach_bpf_prog:max', array.size < BPF_TRACE_MAX_PROGS, 'E2BIG', 'link:trace-event-full', {
        pass: `the trace event runs ${array.size} programs`, fail: `the trace event already runs ${BPF_TRACE_MAX_PROGS} programs`,
      });
      check(core, 'bpf_prog_array_copy', !array.has(prog), 'EEXIST', 'link:trace-event-has-prog', {
        pass: `program #${prog.id} is not on this trace event yet`,
        fail: `program #${prog.id} is already attached to this trace event (through another perf event)`,
      });
      array.add(prog);
    }
  }
  event.prog = { obj: prog, cookie };
}

/** `perf_event_free_bpf_prog` / `perf_event_detach_bpf_prog`: the event lets its program go (the caller puts the reference). */
export function perfEventDetachBpfProg(core: KernelCore, event: PerfEvent): void {
  const prog = event.prog;
  if (prog === undefined) return;
  progArrayOf(core, event)?.delete(prog.obj);
  event.prog = undefined;
}
