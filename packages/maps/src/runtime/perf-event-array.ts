import type { MapRuntimeSpec, PerfEventArrayOps, PerfEventRecord } from '@bpfkit/kernel-api';
import type { MapEnv } from '../deps.js';
import { FdArrayMap } from './fd-array.js';

/** `PERF_RECORD_LOST` and `PERF_RECORD_SAMPLE`. */
const PERF_RECORD_LOST = 2;
const PERF_RECORD_SAMPLE = 9;
/** `struct perf_event_header`. */
const HEADER = 8;
/** A lost record: header, id, lost (u64 each after the header). */
const LOST_RECORD = HEADER + 16;

/** One consumer buffer: a byte ring of `pages` pages on one CPU. */
interface PerfBuffer {
  readonly cpu: number;
  readonly ring: Uint8Array;
  head: number;
  tail: number;
  lost: number;
}

/**
 * `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: an fd array whose slots are perf events,
 * each with a ring of records (`PERF_RECORD_SAMPLE` with raw data, padded to
 * 8 bytes, and `PERF_RECORD_LOST` once room comes back after a full ring).
 * {@link open} stands for `perf_event_open` on CPU `index` plus the map update
 * libbpf's perf buffer does.
 *
 * @example
 * const events = maps.get(BpfMapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY)!.create(spec).perfEvents!;
 * events.open(0, 8);
 * events.output(0, 0, dataAddr, 16); // from a program on CPU 0
 * events.consume((record) => console.log(record.cpu, record.data ?? record.lost));
 */
export class PerfEventArrayMap extends FdArrayMap implements PerfEventArrayOps {
  readonly perfEvents: PerfEventArrayOps = this;
  readonly #buffers: (PerfBuffer | undefined)[];
  readonly #pageSize: number;

  constructor(env: MapEnv, spec: MapRuntimeSpec) {
    super(env, spec, { name: 'perf_event_array', sysLookupGivesId: false, mapInMap: false });
    this.#buffers = new Array<PerfBuffer | undefined>(spec.info.maxEntries).fill(undefined);
    this.#pageSize = env.pageSize;
  }

  open(index: number, pages: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.info.maxEntries) throw new RangeError(`perf event array: no slot ${index}`);
    this.#buffers[index] = { cpu: index, ring: new Uint8Array(Math.max(1, pages) * this.#pageSize), head: 0, tail: 0, lost: 0 };
  }

  #write(b: PerfBuffer, off: number, v: number, bytes: number): void {
    for (let i = 0; i < bytes; i++) {
      b.ring[(off + i) % b.ring.length] = i < 4 ? (v >>> (i * 8)) & 0xff : i < 8 ? Math.floor(v / 2 ** 32) >>> ((i - 4) * 8) & 0xff : 0;
    }
  }

  output(cpu: number, index: number, dataAddr: number, size: number): number {
    if (index >= this.info.maxEntries) return -7; // E2BIG
    const b = this.#buffers[index];
    if (b === undefined) return -2; // ENOENT
    if (b.cpu !== cpu) return -95; // EOPNOTSUPP: the event is on another CPU
    const len = (HEADER + 4 + size + 7) & ~7;
    const need = len + (b.lost > 0 ? LOST_RECORD : 0);
    if (b.head - b.tail + need > b.ring.length) {
      b.lost++;
      return -28; // ENOSPC
    }
    if (b.lost > 0) {
      this.#write(b, b.head, PERF_RECORD_LOST, 4);
      this.#write(b, b.head + 4, LOST_RECORD << 16, 4);
      this.#write(b, b.head + HEADER, 0, 8);
      this.#write(b, b.head + HEADER + 8, b.lost, 8);
      b.head += LOST_RECORD;
      b.lost = 0;
    }
    this.#write(b, b.head, PERF_RECORD_SAMPLE, 4);
    this.#write(b, b.head + 4, (len << 16) >>> 0, 4);
    this.#write(b, b.head + HEADER, size, 4);
    const bytes = this.bytes;
    for (let i = 0; i < size; i++) b.ring[(b.head + HEADER + 4 + i) % b.ring.length] = bytes[dataAddr + i] ?? 0;
    b.head += len;
    return 0;
  }

  #read(b: PerfBuffer, off: number, n: number): number {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + (b.ring[(off + i) % b.ring.length] ?? 0);
    return v;
  }

  consume(cb: (record: PerfEventRecord) => void): number {
    let n = 0;
    for (const b of this.#buffers) {
      if (b === undefined) continue;
      while (b.tail < b.head) {
        const type = this.#read(b, b.tail, 4);
        const len = this.#read(b, b.tail + 6, 2);
        if (type === PERF_RECORD_SAMPLE) {
          const size = this.#read(b, b.tail + HEADER, 4);
          const data = new Uint8Array(size);
          for (let i = 0; i < size; i++) data[i] = b.ring[(b.tail + HEADER + 4 + i) % b.ring.length] ?? 0;
          cb({ cpu: b.cpu, data });
        } else {
          cb({ cpu: b.cpu, lost: this.#read(b, b.tail + HEADER + 8, 8) });
        }
        b.tail += len;
        n++;
      }
    }
    return n;
  }
}
