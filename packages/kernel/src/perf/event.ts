import { PERF_COUNT_SW_BPF_OUTPUT, PERF_SAMPLE_RAW, PERF_TYPE_SOFTWARE, type PerfEventOutput } from '@bpfkit/kernel-api';
import type { PerfRing } from './ring.js';

/** What `perf_event_open` keeps of the attr. */
export interface PerfEventAttrs {
  readonly type: number;
  readonly config: bigint;
  readonly sampleType: bigint;
  readonly disabled: boolean;
  readonly inherit: boolean;
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
