import {
  PERF_RECORD_LOST, PERF_RECORD_MISC_KERNEL, PERF_RECORD_SAMPLE, PerfMmapPage,
} from '@bpfkit/kernel-api';

/** The simulated machine's page size. */
export const PAGE_SIZE = 4096;
/** `struct perf_event_header`. */
const HEADER = 8;
/** A `PERF_RECORD_LOST` record: header, id, lost (no sample_id fields: BPF output events do not ask for them). */
const LOST_RECORD = HEADER + 16;
/** `perf_event_mmap_page.size` as the kernel fills it: the header's bytes before its reserved area. */
const USER_PAGE_SIZE = 96;
/** `cap_bit0_is_deprecated`, the capability bit every kernel since 3.12 sets. */
const CAP_BIT0_IS_DEPRECATED = 2;

/**
 * A perf event's ring buffer (`struct perf_buffer`): the user page then
 * `dataPages` pages of records, the bytes user space maps. The producer keeps
 * `data_head` in the user page; a writable mapping makes it respect the
 * consumer's `data_tail` (a record that does not fit is counted lost and
 * reported by a `PERF_RECORD_LOST` before the next one that fits); a
 * read-only mapping overwrites.
 */
export class PerfRing {
  /** The user page and the data pages, as mapped. */
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  readonly dataSize: number;
  /** `rb->lost`: records dropped since the last `PERF_RECORD_LOST`. */
  lost = 0;
  /** Mappings sharing this ring (`rb->mmap_count`). */
  mappings = 0;

  constructor(readonly dataPages: number, readonly writable: boolean) {
    this.dataSize = dataPages * PAGE_SIZE;
    this.bytes = new Uint8Array(PAGE_SIZE + this.dataSize);
    this.#view = new DataView(this.bytes.buffer);
    this.#view.setBigUint64(PerfMmapPage.capabilities, BigInt(CAP_BIT0_IS_DEPRECATED), true);
    this.#view.setUint32(PerfMmapPage.size, USER_PAGE_SIZE, true);
    this.#view.setBigUint64(PerfMmapPage.dataOffset, BigInt(PAGE_SIZE), true);
    this.#view.setBigUint64(PerfMmapPage.dataSize, BigInt(this.dataSize), true);
  }

  #u64(off: number): number {
    return Number(this.#view.getBigUint64(off, true));
  }

  /** Stores `v` at ring position `pos` (wrapping), `n` bytes little-endian. */
  #put(pos: number, v: number, n: number): void {
    let x = BigInt(v);
    for (let i = 0; i < n; i++, x >>= 8n) this.bytes[PAGE_SIZE + ((pos + i) % this.dataSize)] = Number(x & 0xffn);
  }

  #header(pos: number, type: number, misc: number, size: number): void {
    this.#put(pos, type, 4);
    this.#put(pos + 4, misc, 2);
    this.#put(pos + 6, size, 2);
  }

  /**
   * `perf_output_begin` … `perf_output_end` of one sample: the record is a
   * header, then (with `PERF_SAMPLE_RAW`) the raw size and bytes, padded so
   * that size field and data end on 8 bytes; the padding is skipped, not
   * written. 0, or -ENOSPC (counted lost when the ring had no room).
   */
  outputSample(raw: Uint8Array | undefined, eventId: number): number {
    if (this.dataPages === 0) return -28; // a ring without data pages is paused
    const padded = raw === undefined ? 0 : Math.ceil((raw.length + 4) / 8) * 8;
    const size = HEADER + padded;
    const need = size + (this.lost > 0 ? LOST_RECORD : 0);
    let head = this.#u64(PerfMmapPage.dataHead);
    if (this.writable) {
      const tail = this.#u64(PerfMmapPage.dataTail);
      // CIRC_SPACE: one byte always stays free, so a full ring never looks empty.
      const space = (((tail - head - 1) % this.dataSize) + this.dataSize) % this.dataSize;
      if (need > 0xffff || space < need) {
        this.lost++;
        return -28;
      }
    }
    if (this.lost > 0) {
      this.#header(head, PERF_RECORD_LOST, 0, LOST_RECORD);
      this.#put(head + HEADER, eventId, 8);
      this.#put(head + HEADER + 8, this.lost, 8);
      head += LOST_RECORD;
      this.lost = 0;
    }
    this.#header(head, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_KERNEL, size);
    if (raw !== undefined) {
      this.#put(head + HEADER, padded - 4, 4);
      for (let i = 0; i < raw.length; i++) this.bytes[PAGE_SIZE + ((head + HEADER + 4 + i) % this.dataSize)] = raw[i] ?? 0;
    }
    this.#view.setBigUint64(PerfMmapPage.dataHead, BigInt(head + size), true);
    return 0;
  }
}
