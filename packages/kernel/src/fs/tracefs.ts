/** Where libbpf looks for trace events: tracefs, and its old place under debugfs. */
const TRACEFS_ROOTS = ['/sys/kernel/tracing/', '/sys/kernel/debug/tracing/'];

/** How a trace event is defined (`TRACE_EVENT_FL_TRACEPOINT`, or a syscall event of `CONFIG_FTRACE_SYSCALLS`). */
export type TraceEventKind = 'tracepoint' | 'syscall';

/** A static trace event (`struct trace_event_call`): its subsystem, name and `event.type` (the `id` file). */
export interface TraceEvent {
  readonly category: string;
  readonly name: string;
  readonly id: number;
  readonly kind: TraceEventKind;
}

/**
 * The trace events of the simulated kernel, with the ids the reference 6.18 build
 * gives them (ids are handed out at boot, so they are this build's, not stable
 * across kernels). A small list: the events examples and common tools attach to.
 */
const EVENTS: readonly (readonly [string, number])[] = [
  ['sched/sched_process_exec', 365], ['sched/sched_process_fork', 366], ['sched/sched_process_wait', 367],
  ['sched/sched_process_exit', 369], ['sched/sched_process_free', 370], ['sched/sched_switch', 372],
  ['sched/sched_wakeup_new', 373], ['sched/sched_wakeup', 374],
  ['raw_syscalls/sys_exit', 442], ['raw_syscalls/sys_enter', 443],
  ['task/task_rename', 204], ['task/task_newtask', 205],
  ['signal/signal_deliver', 260], ['signal/signal_generate', 261],
  ['syscalls/sys_enter_clone', 196], ['syscalls/sys_enter_kill', 251], ['syscalls/sys_enter_bpf', 586],
  ['syscalls/sys_exit_openat', 781], ['syscalls/sys_enter_openat', 782],
  ['syscalls/sys_exit_write', 839], ['syscalls/sys_enter_write', 840], ['syscalls/sys_exit_read', 841], ['syscalls/sys_enter_read', 842],
  ['syscalls/sys_exit_execveat', 859], ['syscalls/sys_enter_execveat', 860], ['syscalls/sys_exit_execve', 861],
  ['syscalls/sys_enter_execve', 862], ['syscalls/sys_enter_unlinkat', 884], ['syscalls/sys_enter_connect', 2230],
];

const BY_PATH = new Map<string, TraceEvent>();
const BY_ID = new Map<number, TraceEvent>();
for (const [path, id] of EVENTS) {
  const [category = '', name = ''] = path.split('/');
  const event: TraceEvent = { category, name, id, kind: category === 'syscalls' ? 'syscall' : 'tracepoint' };
  BY_PATH.set(path, event);
  BY_ID.set(id, event);
}

/**
 * The trace event whose `event.type` is `id` (what `perf_trace_init` looks up for a
 * `PERF_TYPE_TRACEPOINT` event's config), or undefined.
 *
 * @example
 * traceEventById(365)?.name; // 'sched_process_exec'
 */
export function traceEventById(id: bigint): TraceEvent | undefined {
  return id > 0n && id <= 0xffff_ffffn ? BY_ID.get(Number(id)) : undefined;
}

/**
 * The part of `path` under tracefs (`/sys/kernel/tracing/` or its debugfs copy), or
 * undefined for a path elsewhere.
 *
 * @example
 * tracefsPathOf('/sys/kernel/tracing/kprobe_events'); // 'kprobe_events'
 */
export function tracefsPathOf(path: string): string | undefined {
  const root = TRACEFS_ROOTS.find((r) => path.startsWith(r));
  return root === undefined ? undefined : path.slice(root.length);
}

/**
 * Reads a tracefs file the simulated kernel has: `events/<category>/<name>/id` (the
 * event's id and a newline), under `/sys/kernel/tracing` and `/sys/kernel/debug/tracing`.
 * Undefined for any other path (the caller's ENOENT).
 *
 * @example
 * tracefsRead('/sys/kernel/tracing/events/sched/sched_switch/id'); // '372\n'
 */
export function tracefsRead(path: string): string | undefined {
  const root = TRACEFS_ROOTS.find((r) => path.startsWith(r));
  if (root === undefined) return undefined;
  const m = /^events\/([^/]+)\/([^/]+)\/id$/.exec(path.slice(root.length));
  const event = m === null ? undefined : BY_PATH.get(`${m[1] ?? ''}/${m[2] ?? ''}`);
  return event === undefined ? undefined : `${event.id}\n`;
}
