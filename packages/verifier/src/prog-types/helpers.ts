import type { HelperPrivileges } from '@bpfkit/kernel-api';
import { bpfFuncId } from '@bpfkit/uapi';
import { measuredHelperTable } from './helper-table.generated.js';

function ids(names: readonly string[]): ReadonlySet<number> {
  const out = new Set<number>();
  for (const n of names) {
    const id = bpfFuncId(n);
    if (id !== undefined) out.add(id);
  }
  return out;
}

/** The second group of `bpf_base_func_proto`: helpers that need `bpf_token_capable(CAP_BPF)`. */
export const BPF_CAPABLE_BASE_HELPERS = ids([
  'spin_lock', 'spin_unlock', 'jiffies64', 'per_cpu_ptr', 'this_cpu_ptr', 'timer_init', 'timer_set_callback',
  'timer_start', 'timer_cancel', 'kptr_xchg', 'for_each_map_elem', 'loop', 'user_ringbuf_drain',
  'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr', 'dynptr_from_mem', 'dynptr_read',
  'dynptr_write', 'dynptr_data', 'cgrp_storage_get', 'cgrp_storage_delete', 'get_current_cgroup_id',
  'get_current_ancestor_cgroup_id',
]);

/** The third group of `bpf_base_func_proto`: helpers that need `bpf_token_capable(CAP_PERFMON)`. */
export const PERFMON_BASE_HELPERS = ids([
  'trace_printk', 'get_current_task', 'get_current_task_btf', 'probe_read_user', 'probe_read_kernel',
  'probe_read_user_str', 'probe_read_kernel_str', 'snprintf_btf', 'snprintf', 'task_pt_regs', 'trace_vprintk',
]);

interface Availability {
  readonly full: ReadonlySet<number>;
  readonly noPerfmon: ReadonlySet<number>;
  readonly noBpf: ReadonlySet<number>;
}

function without(set: ReadonlySet<number>, drop: ReadonlySet<number>): ReadonlySet<number> {
  return new Set([...set].filter((id) => !drop.has(id)));
}

function availability(full: readonly number[], noPerfmon: readonly number[] | null): Availability {
  const f = new Set(full);
  // Types that cannot load without CAP_PERFMON were not measured without it; the base
  // proto's perfmon group is what such a program would lose.
  const np = noPerfmon === null ? without(f, PERFMON_BASE_HELPERS) : new Set(noPerfmon);
  // Not measurable with unprivileged_bpf_disabled set; by the source, what the base
  // proto's CAP_BPF group gates is what an unprivileged program loses.
  return { full: f, noPerfmon: np, noBpf: without(np, BPF_CAPABLE_BASE_HELPERS) };
}

const cache = new Map<string, Availability>();

/**
 * Tracing rows the probe could not load (they need an attach target): `tracing_prog_func_proto`
 * gives them the tp_btf row plus the seq_file helpers (iterators: seq_printf, seq_write,
 * seq_printf_btf) or the trampoline's argument helpers (fentry, fexit, fmod_ret:
 * get_func_arg, get_func_ret, get_func_arg_cnt).
 */
const DERIVED_ROWS: Readonly<Record<string, { readonly from: string; readonly add: readonly number[] }>> = {
  '26:28': { from: '26:23', add: [126, 127, 150] },
  '26:24': { from: '26:23', add: [183, 184, 185] },
  '26:25': { from: '26:23', add: [183, 184, 185] },
  '26:26': { from: '26:23', add: [183, 184, 185] },
};

function measuredRow(key: string): { readonly full: readonly number[]; readonly noPerfmon: readonly number[] | null } | undefined {
  const row = measuredHelperTable[key];
  if (row !== undefined) return row;
  const derived = DERIVED_ROWS[key];
  const base = derived === undefined ? undefined : measuredHelperTable[derived.from];
  if (derived === undefined || base === undefined) return undefined;
  return { full: [...base.full, ...derived.add], noPerfmon: base.noPerfmon === null ? null : [...base.noPerfmon, ...derived.add] };
}

function lookup(key: string): Availability | undefined {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const row = measuredRow(key);
  if (row === undefined) return undefined;
  const a = availability(row.full, row.noPerfmon);
  cache.set(key, a);
  return a;
}

/** The helpers every measured type shares: `bpf_base_func_proto` as seen from outside. */
function baseProto(): Availability {
  const key = 'base';
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const rows = Object.values(measuredHelperTable);
  const first = rows[0]?.full ?? [];
  const common = first.filter((id) => rows.every((r) => r.full.includes(id)));
  const a = availability(common, null);
  cache.set(key, a);
  return a;
}

/**
 * `get_func_proto(func_id, prog) != NULL` from the measured table: the exact
 * (type, attach type) row, else the type's first measured row, else `fallbackKey`'s
 * row, else the base proto.
 */
export function helperAllowed(
  type: number, expectedAttachType: number, funcId: number, privileges: HelperPrivileges, fallbackKey?: string,
): boolean {
  let a = lookup(`${String(type)}:${String(expectedAttachType)}`);
  if (a === undefined) {
    const first = Object.keys(measuredHelperTable).find((k) => k.startsWith(`${String(type)}:`));
    a = (first !== undefined ? lookup(first) : undefined) ?? (fallbackKey !== undefined ? lookup(fallbackKey) : undefined) ?? baseProto();
  }
  const set = !privileges.bpfCapable ? a.noBpf : privileges.perfmonCapable ? a.full : a.noPerfmon;
  return set.has(funcId);
}
