import { kernelBtfOf } from '../btf/object.js';
import type { KernelCore } from '../core.js';

/**
 * Raw tracepoints every simulated kernel has, with their argument counts on Linux 6.18
 * (the `btf_trace_<name>` prototype's parameters after `void *__data`), for kernels whose
 * vmlinux BTF does not list them (the builtin one is small).
 */
const BUILTIN_RAW_TRACEPOINTS: ReadonlyMap<string, number> = new Map([
  ['sys_enter', 2], ['sys_exit', 2], ['sched_process_exec', 3], ['sched_process_fork', 2], ['sched_process_exit', 2],
  ['sched_process_free', 1], ['sched_switch', 4], ['sched_wakeup', 1], ['sched_wakeup_new', 1], ['task_newtask', 2],
  ['task_rename', 2],
]);

/** A raw tracepoint (`struct bpf_raw_event_map`): its name and how many u64 arguments its probes get. */
export interface RawTracepoint {
  readonly name: string;
  readonly nrArgs: number;
}

/**
 * `bpf_get_raw_tracepoint`: the tracepoint of that exact name, or undefined. A kernel
 * has a raw tracepoint for every `btf_trace_<name>` typedef of its vmlinux BTF (the
 * host's, in differential runs), plus the builtin list above.
 */
export function findRawTracepoint(core: KernelCore, name: string): RawTracepoint | undefined {
  const builtin = BUILTIN_RAW_TRACEPOINTS.get(name);
  if (builtin !== undefined) return { name, nrArgs: builtin };
  if (name === '') return undefined;
  const view = kernelBtfOf(core.objects.byId('btf', 1))?.view;
  const id = view?.findAll(`btf_trace_${name}`, 'TYPEDEF')[0];
  if (view === undefined || id === undefined) return undefined;
  const ptr = view.type(view.type(id)?.type ?? 0);
  const proto = ptr?.kind === 'PTR' ? view.type(ptr.type ?? 0) : undefined;
  if (proto?.kind !== 'FUNC_PROTO') return undefined;
  return { name, nrArgs: Math.max(0, (proto.params?.length ?? 1) - 1) };
}
