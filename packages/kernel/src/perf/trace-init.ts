import { BpfError } from '@bpfkit/kernel-api';
import { Capability } from '@bpfkit/uapi';
import { kernelSymbols, kernelTextRange } from '../fs/kallsyms.js';
import { lookupPath } from '../fs/namei.js';
import { traceEventById } from '../fs/tracefs.js';
import type { TaskImpl } from '../task/task.js';
import type { PerfAttr } from './attr.js';
import type { TraceTarget } from './event.js';
import { PERF_PROBE_CONFIG_IS_RETPROBE, PERF_TYPE_TRACEPOINT, probePmus } from './pmu.js';

/** `PERF_SAMPLE_BRANCH_STACK`: probe and tracepoint events have none (EOPNOTSUPP). */
const PERF_SAMPLE_BRANCH_STACK = 1n << 11n;
const PERF_SAMPLE_RAW = 1n << 10n;
/** `KSYM_NAME_LEN` and `PATH_MAX`: how far `strndup_user` reads a probe's function name or path. */
const KSYM_NAME_LEN = 512;
const PATH_MAX = 4096;
const AT_FDCWD = -100;

function perfmonCapable(task: TaskImpl): boolean {
  return task.core.capable(task.cred, Capability.CAP_PERFMON) || task.core.capable(task.cred, Capability.CAP_SYS_ADMIN);
}

/** `strndup_user(ptr, n)`: EFAULT for memory it cannot read, E2BIG (the caller's mapping of EINVAL) with no NUL in `n` bytes. */
function strndupUser(task: TaskImpl, ptr: bigint, n: number, what: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = task.memory.read(ptr + BigInt(i), 1)[0] ?? 0;
    if (c === 0) return new TextDecoder().decode(Uint8Array.from(bytes));
    bytes.push(c);
  }
  throw new BpfError('E2BIG', 'perf:probe-name-too-long', `${what} has no NUL in its first ${n} bytes`);
}

function noBranchStack(attr: PerfAttr, what: string): void {
  if ((attr.sampleType & PERF_SAMPLE_BRANCH_STACK) !== 0n) throw new BpfError('EOPNOTSUPP', 'perf:branch-stack', `${what} events have no branch stack`);
}

/**
 * `perf_trace_event_perm`: counting is free, but raw samples of a tracepoint (its
 * record) need CAP_PERFMON under perf_event_paranoid > -1 (EPERM).
 */
function tracePerm(task: TaskImpl, attr: PerfAttr): void {
  if ((attr.sampleType & PERF_SAMPLE_RAW) === 0n || perfmonCapable(task)) return;
  throw new BpfError('EPERM', 'caps:missing-CAP_PERFMON', 'raw samples of a trace event need CAP_PERFMON');
}

/** `perf_tp_event_init` + `perf_trace_init`: the event whose id is the config (EINVAL for none). */
function tracepointInit(task: TaskImpl, attr: PerfAttr): TraceTarget {
  noBranchStack(attr, 'tracepoint');
  const event = traceEventById(attr.config);
  if (event === undefined) throw new BpfError('EINVAL', 'perf:no-such-trace-event', `no trace event with id ${attr.config}`);
  tracePerm(task, attr);
  return { kind: event.kind, event };
}

/**
 * `perf_kprobe_event_init` + `perf_kprobe_init` + `create_local_trace_kprobe`: CAP_PERFMON
 * (EACCES), no branch stack, the function name at `config1` (EFAULT, E2BIG; empty means
 * none), then `config2` is the offset in it, or the address without one. A name the
 * kernel does not have is ENOENT, one it has twice EADDRNOTAVAIL; neither name nor
 * address is EINVAL, as is an address outside the kernel text; a kretprobe must sit on
 * the function entry (ENOENT for an offset).
 */
function kprobeInit(task: TaskImpl, attr: PerfAttr): TraceTarget {
  if (!perfmonCapable(task)) throw new BpfError('EACCES', 'caps:missing-CAP_PERFMON', 'kprobe events need CAP_PERFMON');
  noBranchStack(attr, 'kprobe');
  const retprobe = (attr.config & PERF_PROBE_CONFIG_IS_RETPROBE) !== 0n;
  let func = attr.config1 === 0n ? undefined : strndupUser(task, attr.config1, KSYM_NAME_LEN, 'kprobe_func');
  if (func === '') func = undefined;
  if (func !== undefined) {
    const addrs = kernelSymbols(task.core).get(func) ?? [];
    if (addrs.length === 0) throw new BpfError('ENOENT', 'perf:no-such-symbol', `no kernel symbol '${func}'`);
    if (addrs.length > 1) throw new BpfError('EADDRNOTAVAIL', 'perf:ambiguous-symbol', `'${func}' names ${addrs.length} kernel symbols`);
    const offset = attr.config2;
    if (retprobe && offset !== 0n) throw new BpfError('ENOENT', 'perf:kretprobe-offset', 'a kretprobe must be on the function entry (offset 0)');
    return { kind: 'kprobe', retprobe, func, offset, addr: (addrs[0] ?? 0n) + offset };
  }
  const addr = attr.config2;
  if (addr === 0n) throw new BpfError('EINVAL', 'perf:kprobe-no-target', 'a kprobe needs a function name (config1) or an address (config2)');
  const text = kernelTextRange(task.core);
  if (addr < text.start || addr >= text.end) throw new BpfError('EINVAL', 'perf:kprobe-not-text', `0x${addr.toString(16)} is not kernel text`);
  if (retprobe && (addr - text.start) % text.stride !== 0n) throw new BpfError('ENOENT', 'perf:kretprobe-offset', 'a kretprobe must be on a function entry');
  return { kind: 'kprobe', retprobe, func: undefined, offset: 0n, addr };
}

/**
 * `perf_uprobe_event_init` + `perf_uprobe_init` + `create_local_trace_uprobe`: CAP_PERFMON
 * (EACCES), no branch stack, the path at `config1` (0 or empty EINVAL, EFAULT, E2BIG), the
 * path's lookup (ENOENT…), a regular file (EINVAL), then `uprobe_register`: no simulated
 * file system has page-cache-backed files to read instructions from (EIO, as for /proc files).
 */
function uprobeInit(task: TaskImpl, attr: PerfAttr): TraceTarget {
  if (!perfmonCapable(task)) throw new BpfError('EACCES', 'caps:missing-CAP_PERFMON', 'uprobe events need CAP_PERFMON');
  noBranchStack(attr, 'uprobe');
  if (attr.config1 === 0n) throw new BpfError('EINVAL', 'perf:uprobe-no-path', 'a uprobe needs a path (config1)');
  const path = strndupUser(task, attr.config1, PATH_MAX, 'uprobe_path');
  if (path === '') throw new BpfError('EINVAL', 'perf:uprobe-no-path', 'a uprobe needs a path (config1)');
  const p = lookupPath(task.walkContext(), AT_FDCWD, path);
  if (p.inode.kind !== 'reg' && p.inode.kind !== 'map' && p.inode.kind !== 'prog' && p.inode.kind !== 'link' && p.inode.kind !== 'btf') {
    throw new BpfError('EINVAL', 'perf:uprobe-not-regular', `${path} is not a regular file`);
  }
  throw new BpfError('EIO', 'perf:uprobe-no-read-folio', `${path}: the simulated kernel's files have no page cache to read instructions from`);
}

/**
 * The `event_init` of the tracing PMUs (tracepoint, kprobe, uprobe) for `attr.type`,
 * or undefined when the type is none of them (another PMU, or one this kernel lacks).
 */
export function tracingPmuInit(task: TaskImpl, attr: PerfAttr): TraceTarget | undefined {
  if (attr.type === PERF_TYPE_TRACEPOINT) return tracepointInit(task, attr);
  const pmus = probePmus(task.core);
  if (attr.type === pmus.kprobe) return kprobeInit(task, attr);
  if (attr.type === pmus.uprobe) return uprobeInit(task, attr);
  return undefined;
}
