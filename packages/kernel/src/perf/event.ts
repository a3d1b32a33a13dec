import { PERF_COUNT_SW_BPF_OUTPUT, PERF_SAMPLE_RAW, PERF_TYPE_SOFTWARE, type PerfEventOutput } from '@bpfkit/kernel-api';
import type { BpfObject } from '../bpf/objects.js';
import type { TraceEvent } from '../fs/tracefs.js';
import type { PerfRing } from './ring.js';

/**
 * What a tracing perf event is attached to (`event->tp_event`): a static trace event
 * (a tracepoint or a syscall event), or the local probe a kprobe or uprobe PMU event
 * created (`create_local_trace_kprobe` / `create_local_trace_uprobe`).
 */
export type TraceTarget =
  | { readonly kind: 'tracepoint' | 'syscall'; readonly event: TraceEvent }
  | { readonly kind: 'kprobe'; readonly retprobe: boolean; readonly func: string | undefined; readonly offset: bigint; readonly addr: bigint }
  | { readonly kind: 'uprobe'; readonly retprobe: boolean; readonly path: string; readonly offset: bigint; readonly refCtrOffset: bigint };

/** What `perf_event_open` keeps of the attr. */
export interface PerfEventAttrs {
  readonly type: number;
  readonly config: bigint;
  readonly sampleType: bigint;
  readonly disabled: boolean;
  readonly inherit: boolean;
  /** Set for events of the tracepoint, kprobe and uprobe PMUs. */
  readonly trace?: TraceTarget;
}

/**
 * A perf event bound to one CPU (`struct perf_event` with `pid == -1`): the
 * file's private data, what a perf event array slot holds, and the owner of
 * the ring `mmap()` creates.
 */
export class PerfEvent implements PerfEventOutput {
  readonly bpfOutput: boolean;
  /** The ring while at least one mapping holds it (`event->rb`). */
  ring: PerfRing | undefined;

  /** Enabled (`attr.disabled` clear, or PERF_EVENT_IOC_ENABLE since): active on its CPU. */
  enabled: boolean;

  /** The BPF program attached to the event (`event->prog`, or the tracing event's prog array entry) and its cookie. */
  prog: { readonly obj: BpfObject; readonly cookie: bigint } | undefined;

  constructor(readonly id: number, readonly cpu: number, readonly attrs: PerfEventAttrs) {
    this.bpfOutput = attrs.type === PERF_TYPE_SOFTWARE && attrs.config === BigInt(PERF_COUNT_SW_BPF_OUTPUT);
    this.enabled = !attrs.disabled;
  }

  get oncpu(): number {
    return this.enabled ? this.cpu : -1;
  }

  outputRaw(raw: Uint8Array): number {
    if (this.ring === undefined) return -28; // ENOSPC: nothing mapped, nowhere to write
    return this.ring.outputSample((this.attrs.sampleType & BigInt(PERF_SAMPLE_RAW)) !== 0n ? raw : undefined, this.id);
  }
}
