import type { PerfEventRecord } from '@bpfkit/kernel-api';
import { PerfBuffer, type BpfObject, type LibbpfHost } from '@bpfkit/libbpf';

/** Data pages per CPU of a `perf_buffer_open` step (reference/object-run.md). */
const PAGES_PER_CPU = 4;

/** One sample of a test run's `perf_samples`. */
export interface PerfSample {
  readonly cpu: number;
  readonly data: Uint8Array;
}

/**
 * The perf buffers `perf_buffer_open` steps opened on an object's perf event
 * arrays, read after each test run.
 *
 * @example
 * const perf = new SessionPerfBuffers(obj, host, 2);
 * perf.open('events');
 * perf.samples(); // [{ cpu: 0, data }] after a run wrote one, or undefined before any open
 */
export class SessionPerfBuffers {
  readonly #buffers = new Map<string, PerfBuffer>();

  constructor(
    private readonly obj: BpfObject,
    private readonly host: LibbpfHost,
    private readonly possibleCpus: number,
  ) {}

  /** `perf_buffer__new(map, 4, …)` on the loaded map `name` (a second open of the same map reopens it). */
  open(name: string): void {
    const pb = PerfBuffer.open(this.host, this.obj.map(name).fd, { pageCnt: PAGES_PER_CPU, possibleCpus: this.possibleCpus });
    this.#buffers.get(name)?.close();
    this.#buffers.set(name, pb);
  }

  /** Samples every open buffer holds now, in map then CPU order (lost records are not samples); undefined when none is open. */
  samples(): PerfSample[] | undefined {
    if (this.#buffers.size === 0) return undefined;
    const out: PerfSample[] = [];
    const take = (r: PerfEventRecord): void => {
      if (r.data !== undefined) out.push({ cpu: r.cpu, data: r.data });
    };
    for (const pb of this.#buffers.values()) pb.consume(take);
    return out;
  }

  close(): void {
    for (const pb of this.#buffers.values()) pb.close();
    this.#buffers.clear();
  }
}
