import { BpfError, isBpfError, O_CLOEXEC, O_PATH, PERF_ATTR_SIZE, PERF_FLAG_FD_CLOEXEC, PerfAttrOffset as O } from '@bpfkit/kernel-api';
import type { LibbpfHost } from '../host.js';
import { withScratch } from '../commands/scratch.js';

/** `PERF_TYPE_TRACEPOINT`. */
const PERF_TYPE_TRACEPOINT = 2;
/** `PERF_UPROBE_REF_CTR_OFFSET_SHIFT`. */
const REF_CTR_SHIFT = 32n;
const TRACEFS = '/sys/kernel/tracing';
const DEBUGFS = '/sys/kernel/debug/tracing';

function need<T>(fn: T | undefined, what: string): T {
  if (fn === undefined) throw new BpfError('EOPNOTSUPP', 'libbpf:host-cannot', `this host has no ${what}: tracing programs cannot be attached through it`);
  return fn;
}

/**
 * libbpf's `tracefs_path()`: the debugfs copy when `/sys/kernel/debug/tracing` exists
 * (libbpf's `faccessat(F_OK)`, here an O_PATH open), else `/sys/kernel/tracing`.
 */
export function tracefsPath(host: LibbpfHost): string {
  if (host.open === undefined) return TRACEFS;
  try {
    host.close(host.open(DEBUGFS, O_PATH | O_CLOEXEC));
    return DEBUGFS;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return TRACEFS;
  }
}

/**
 * `parse_uint_from_file`: the file's first number; the read's errno (ENOENT for a file
 * that is not there), EINVAL when it does not start with one.
 */
export function parseUintFromFile(host: LibbpfHost, path: string): number {
  const text = need(host.readFile?.bind(host), 'readFile')(path);
  const m = /^\s*(-?\d+)/.exec(text);
  if (m === null) throw new BpfError('EINVAL', 'libbpf:parse-uint', `failed to parse '${path}'`);
  return Number(m[1]);
}

/** `determine_tracepoint_id`: the id file of `<tracefs>/events/<category>/<name>`. */
export function tracepointId(host: LibbpfHost, category: string, name: string): number {
  return parseUintFromFile(host, `${tracefsPath(host)}/events/${category}/${name}/id`);
}

function perfEventOpen(host: LibbpfHost, attr: Uint8Array, pid: number, cpu: number): number {
  return need(host.perfEventOpen?.bind(host), 'perfEventOpen')(attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

function newAttr(type: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(PERF_ATTR_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(O.type, type, true);
  view.setUint32(O.size, PERF_ATTR_SIZE, true);
  return { bytes, view };
}

/**
 * `perf_event_open_tracepoint`: the tracepoint's id from tracefs, then a
 * `PERF_TYPE_TRACEPOINT` event with that config on CPU 0 for every task (or on any CPU
 * for one process `pid`, as legacy uprobes open theirs). Returns the fd.
 */
export function openTracepointEvent(host: LibbpfHost, category: string, name: string, pid = -1): number {
  const id = tracepointId(host, category, name);
  const { bytes, view } = newAttr(PERF_TYPE_TRACEPOINT);
  view.setBigUint64(O.config, BigInt(id), true);
  return perfEventOpen(host, bytes, pid < 0 ? -1 : pid, pid === -1 ? 0 : -1);
}

/** `determine_{k,u}probe_perf_type`: the PMU's type from sysfs (ENOENT when the kernel has none). */
export function probePerfType(host: LibbpfHost, kind: 'kprobe' | 'uprobe'): number {
  return parseUintFromFile(host, `/sys/bus/event_source/devices/${kind}/type`);
}

/** `determine_{k,u}probe_retprobe_bit`: `config:<bit>` from the PMU's `format/retprobe`. */
function retprobeBit(host: LibbpfHost, kind: 'kprobe' | 'uprobe'): number {
  const path = `/sys/bus/event_source/devices/${kind}/format/retprobe`;
  const text = need(host.readFile?.bind(host), 'readFile')(path);
  const m = /^config:(\d+)/.exec(text);
  if (m === null) throw new BpfError('EINVAL', 'libbpf:parse-uint', `failed to parse '${path}'`);
  return Number(m[1]);
}

/** What {@link openProbeEvent} opens: a kprobe on a kernel function, or a uprobe on a file offset. */
export interface ProbeSpec {
  readonly kind: 'kprobe' | 'uprobe';
  readonly retprobe: boolean;
  /** The kernel function (kprobe) or the binary's path (uprobe). */
  readonly name: string;
  /** The offset in the function, or in the file. */
  readonly offset: bigint;
  /** A uprobe's process filter; -1 for every process. */
  readonly pid?: number;
  readonly refCtrOffset?: bigint;
}

/**
 * `perf_event_open_probe`: an event of the kprobe or uprobe PMU (type and retprobe bit
 * from sysfs) with `config1` pointing at the name and `config2` the offset; CPU 0 for
 * every process, or any CPU of one process. Returns the fd.
 */
export function openProbeEvent(host: LibbpfHost, spec: ProbeSpec): number {
  const type = probePerfType(host, spec.kind);
  const { bytes, view } = newAttr(type);
  let config = (spec.refCtrOffset ?? 0n) << REF_CTR_SHIFT;
  if (spec.retprobe) config |= 1n << BigInt(retprobeBit(host, spec.kind));
  view.setBigUint64(O.config, config, true);
  view.setBigUint64(O.config2, spec.offset, true);
  const pid = spec.pid ?? -1;
  return withScratch(host, (s) => {
    view.setBigUint64(O.config1, s.cString(spec.name), true);
    return perfEventOpen(host, bytes, pid < 0 ? -1 : pid, pid === -1 ? 0 : -1);
  });
}
