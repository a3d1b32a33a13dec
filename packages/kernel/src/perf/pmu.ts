import type { KernelCore } from '../core.js';

/** `PERF_TYPE_TRACEPOINT`. */
export const PERF_TYPE_TRACEPOINT = 2;
/** `PERF_PROBE_CONFIG_IS_RETPROBE`: bit 0 of a kprobe or uprobe event's config (the `format/retprobe` file says `config:0`). */
export const PERF_PROBE_CONFIG_IS_RETPROBE = 1n;
/** The first type the PMU idr hands out after the fixed ones and the two clock PMUs (6.18: 8). */
const FIRST_DYNAMIC_TYPE = 8;

const SYSFS_DEVICES = '/sys/bus/event_source/devices/';

/** The dynamic PMU types of a kernel, as `perf_tp_register` registers them: kprobe (with CONFIG_KPROBE_EVENTS), then uprobe. */
export interface ProbePmus {
  readonly kprobe: number | undefined;
  readonly uprobe: number;
}

/**
 * The kprobe and uprobe PMU types of `core`: the kprobe PMU exists only when the
 * kernel's build configuration has `CONFIG_KPROBE_EVENTS=y` (the reference 6.18 build
 * has no kprobes, so its uprobe PMU is type 8).
 *
 * @example
 * probePmus(core); // { kprobe: undefined, uprobe: 8 } with the builtin configuration
 */
export function probePmus(core: KernelCore): ProbePmus {
  const kprobes = /^CONFIG_KPROBE_EVENTS=y$/m.test(core.deps.kernelConfig ?? '');
  return kprobes ? { kprobe: FIRST_DYNAMIC_TYPE, uprobe: FIRST_DYNAMIC_TYPE + 1 } : { kprobe: undefined, uprobe: FIRST_DYNAMIC_TYPE };
}

/**
 * Reads the sysfs files of the tracing PMUs libbpf looks at
 * (`/sys/bus/event_source/devices/{tracepoint,kprobe,uprobe}/type` and the probe PMUs'
 * `format/retprobe`); undefined for other paths and for a PMU the kernel lacks (ENOENT).
 *
 * @example
 * pmuSysfsRead(core, '/sys/bus/event_source/devices/uprobe/format/retprobe'); // 'config:0\n'
 */
export function pmuSysfsRead(core: KernelCore, path: string): string | undefined {
  if (!path.startsWith(SYSFS_DEVICES)) return undefined;
  const [pmu, ...rest] = path.slice(SYSFS_DEVICES.length).split('/');
  const pmus = probePmus(core);
  const type = pmu === 'tracepoint' ? PERF_TYPE_TRACEPOINT : pmu === 'kprobe' ? pmus.kprobe : pmu === 'uprobe' ? pmus.uprobe : undefined;
  if (type === undefined) return undefined;
  const file = rest.join('/');
  if (file === 'type') return `${type}\n`;
  if (pmu !== 'tracepoint' && file === 'format/retprobe') return 'config:0\n';
  if (pmu === 'uprobe' && file === 'format/ref_ctr_offset') return 'config:32-63\n';
  return undefined;
}
