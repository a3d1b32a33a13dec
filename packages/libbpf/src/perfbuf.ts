import {
  BpfError, MAP_SHARED, PERF_ATTR_SIZE, PERF_COUNT_SW_BPF_OUTPUT, PERF_EVENT_IOC_DISABLE, PERF_EVENT_IOC_ENABLE, PERF_FLAG_FD_CLOEXEC,
  PERF_RECORD_LOST, PERF_RECORD_SAMPLE,
  PERF_SAMPLE_RAW, PERF_TYPE_SOFTWARE, PerfAttrOffset, PerfMmapPage, PROT_READ, PROT_WRITE,
  type MemoryMapping, type PerfEventRecord,
} from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { bpfMapDeleteElem, bpfMapGetInfoByFd, bpfMapUpdateElem } from './commands/index.js';
import type { LibbpfHost } from './host.js';
import { parseCpuList, possibleCpusOf } from './possible-cpus.js';

/** What a perf buffer needs of a process: the client's host (`perfEventOpen`, `mmap`, `munmap`, `perfEventIoctl`, `readFile`). */
export type PerfBufferHost = LibbpfHost;

/** Options of {@link PerfBuffer.open}; unknown fields are rejected. */
export interface PerfBufferOptions {
  /** Data pages per CPU, a power of two (libbpf's `page_cnt`); default 8. */
  readonly pageCnt?: number;
  /** `libbpf_num_possible_cpus()`; default: read from the host (`/sys/devices/system/cpu/possible`). */
  readonly possibleCpus?: number;
  /** `perf_buffer_opts.sample_period`: the events' `wakeup_events` (default 1). */
  readonly samplePeriod?: number;
}

const OPTION_KEYS = new Set(['pageCnt', 'possibleCpus', 'samplePeriod']);
const PAGE = 4096;
const ONLINE_CPUS_PATH = '/sys/devices/system/cpu/online';
const HEADER = 8;

/** One CPU's event: its fd, the map key it went into, and its mapped ring. */
interface CpuBuffer {
  readonly cpu: number;
  readonly fd: number;
  readonly key: number;
  mapping?: MemoryMapping;
}

const u32 = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);

/** The `perf_event_attr` libbpf's `perf_buffer__new` opens on every CPU. */
function bufferAttr(samplePeriod: number): Uint8Array {
  const bytes = new Uint8Array(PERF_ATTR_SIZE);
  const v = new DataView(bytes.buffer);
  v.setUint32(PerfAttrOffset.type, PERF_TYPE_SOFTWARE, true);
  v.setUint32(PerfAttrOffset.size, PERF_ATTR_SIZE, true);
  v.setBigUint64(PerfAttrOffset.config, BigInt(PERF_COUNT_SW_BPF_OUTPUT), true);
  v.setBigUint64(PerfAttrOffset.sampleType, BigInt(PERF_SAMPLE_RAW), true);
  v.setUint32(PerfAttrOffset.wakeupEvents, samplePeriod, true);
  return bytes;
}

/** The online CPUs as a set, or undefined when the host cannot say (then every possible CPU counts). */
function onlineCpus(host: PerfBufferHost): Set<number> | undefined {
  let text: string;
  try {
    if (host.readFile === undefined) return undefined;
    text = host.readFile(ONLINE_CPUS_PATH);
  } catch {
    return undefined;
  }
  parseCpuList(text);
  const out = new Set<number>();
  for (const part of text.trim().split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let c = a ?? 0; c <= (b ?? a ?? 0); c++) out.add(c);
  }
  return out;
}

/**
 * A consumer of one `BPF_MAP_TYPE_PERF_EVENT_ARRAY` map, as libbpf's
 * `perf_buffer__new` sets it up: on every possible (and online) CPU, up to
 * the map's `max_entries`, a `PERF_COUNT_SW_BPF_OUTPUT` perf event with
 * `PERF_SAMPLE_RAW`, its ring mapped read-write (user page + `pageCnt`
 * pages), enabled (`PERF_EVENT_IOC_ENABLE`, when the host has the ioctl), and
 * its fd stored in the map at the CPU's index. {@link consume}
 * reads every CPU's pending records from `data_tail` to `data_head`
 * (records that wrap the ring are put back together) and moves `data_tail`.
 *
 * @example
 * const pb = PerfBuffer.open(host, obj.map('events').fd, { pageCnt: 4 });
 * prog.testRun({ dataIn: packet });
 * pb.consume((r) => console.log(r.cpu, r.data ?? `lost ${r.lost}`));
 * pb.close();
 */
export class PerfBuffer {
  #closed = false;

  private constructor(
    private readonly host: PerfBufferHost,
    private readonly mapFd: number,
    private readonly buffers: readonly CpuBuffer[],
    private readonly dataSize: number,
  ) {}

  /** `perf_buffer__new(map_fd, page_cnt, …)`: EINVAL for a page count that is not a power of two or a map of another type. */
  static open(host: PerfBufferHost, mapFd: number, options: PerfBufferOptions = {}): PerfBuffer {
    for (const k of Object.keys(options)) if (!OPTION_KEYS.has(k)) throw new TypeError(`PerfBuffer.open: unknown option ${k}`);
    const pageCnt = options.pageCnt ?? 8;
    if (!Number.isInteger(pageCnt) || pageCnt <= 0 || (pageCnt & (pageCnt - 1)) !== 0) {
      throw new BpfError('EINVAL', 'libbpf:perf-buffer-pages', `page count should be power of two, but is ${String(pageCnt)}`);
    }
    const open = host.perfEventOpen?.bind(host);
    if (open === undefined || host.mmap === undefined || host.munmap === undefined) {
      throw new BpfError('EOPNOTSUPP', 'libbpf:no-perf-event-open', 'this host cannot perf_event_open() and mmap(), which a perf buffer needs');
    }
    const info = bpfMapGetInfoByFd(host, mapFd);
    if (info.type !== BpfMapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
      throw new BpfError('EINVAL', 'libbpf:perf-buffer-map-type', `map '${info.name}' should be BPF_MAP_TYPE_PERF_EVENT_ARRAY`);
    }
    let cpus = options.possibleCpus ?? possibleCpusOf(host);
    if (info.maxEntries > 0 && info.maxEntries < cpus) cpus = info.maxEntries;
    const online = onlineCpus(host);
    const attr = bufferAttr(Math.max(1, options.samplePeriod ?? 1));
    const buffers: CpuBuffer[] = [];
    const pb = new PerfBuffer(host, mapFd, buffers, pageCnt * PAGE);
    try {
      for (let cpu = 0; cpu < cpus; cpu++) {
        if (online !== undefined && !online.has(cpu)) continue;
        const buf: CpuBuffer = { cpu, key: cpu, fd: open(attr.slice(), -1, cpu, -1, PERF_FLAG_FD_CLOEXEC) };
        buffers.push(buf);
        buf.mapping = host.mmap(buf.fd, (pageCnt + 1) * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
        host.perfEventIoctl?.(buf.fd, PERF_EVENT_IOC_ENABLE, 0);
        bpfMapUpdateElem(host, mapFd, u32(buf.key), u32(buf.fd), 0);
      }
    } catch (e) {
      pb.close();
      throw e;
    }
    return pb;
  }

  /** How many CPU buffers are set up (`perf_buffer__buffer_cnt`). */
  get bufferCount(): number {
    return this.buffers.length;
  }

  /** The perf event fd of buffer `index` (`perf_buffer__buffer_fd`). */
  bufferFd(index: number): number {
    const b = this.buffers[index];
    if (b === undefined) throw new BpfError('EINVAL', 'libbpf:perf-buffer-index', `no buffer ${index}`);
    return b.fd;
  }

  /**
   * `perf_buffer__consume`: hands every pending record of every CPU to `cb`
   * in ring order (samples with their raw data as the kernel sized it, lost
   * records with their count) and frees their room; returns how many it
   * handed. A record of another type stops the walk past it with EINVAL.
   */
  consume(cb: (record: PerfEventRecord) => void): number {
    if (this.#closed) throw new BpfError('EBADF', 'libbpf:perf-buffer-closed', 'the perf buffer is closed');
    let n = 0;
    for (const b of this.buffers) if (b.mapping !== undefined) n += this.#consumeCpu(b.cpu, b.mapping, cb);
    return n;
  }

  #consumeCpu(cpu: number, m: MemoryMapping, cb: (record: PerfEventRecord) => void): number {
    const u64 = (off: number): bigint => new DataView(m.read(off, 8).buffer).getBigUint64(0, true);
    const head = u64(PerfMmapPage.dataHead);
    let tail = u64(PerfMmapPage.dataTail);
    const mask = BigInt(this.dataSize - 1);
    let n = 0;
    let bad: number | undefined;
    while (tail !== head) {
      const at = Number(tail & mask);
      const header = new DataView(this.#ringRead(m, at, HEADER).buffer);
      const type = header.getUint32(0, true);
      const size = header.getUint16(6, true);
      const rec = new DataView(this.#ringRead(m, at, Math.max(size, HEADER)).buffer);
      tail += BigInt(size);
      if (type === PERF_RECORD_SAMPLE && size >= HEADER + 4) {
        const len = Math.min(rec.getUint32(HEADER, true), size - HEADER - 4);
        cb({ cpu, data: new Uint8Array(rec.buffer, HEADER + 4, len).slice() });
      } else if (type === PERF_RECORD_LOST && size >= HEADER + 16) {
        cb({ cpu, lost: Number(rec.getBigUint64(HEADER + 8, true)) });
      } else {
        bad = type;
        break;
      }
      n++;
      if (size === 0) break;
    }
    const next = new Uint8Array(8);
    new DataView(next.buffer).setBigUint64(0, tail, true);
    m.write(PerfMmapPage.dataTail, next);
    if (bad !== undefined) throw new BpfError('EINVAL', 'libbpf:perf-record-type', `unknown perf sample type ${bad} on CPU ${cpu}`);
    return n;
  }

  /** `len` bytes at ring offset `off`, put back together when they wrap. */
  #ringRead(m: MemoryMapping, off: number, len: number): Uint8Array {
    const first = Math.min(len, this.dataSize - off);
    const head = m.read(PAGE + off, first);
    if (first === len) return head;
    const out = new Uint8Array(len);
    out.set(head, 0);
    out.set(m.read(PAGE, len - first), first);
    return out;
  }

  /** `perf_buffer__free`: empties the map slots it filled, unmaps the rings and closes the events. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const b of this.buffers) {
      try {
        bpfMapDeleteElem(this.host, this.mapFd, u32(b.key));
      } catch {
        // The slot may never have been filled (a failed open) or the map is gone.
      }
      if (b.mapping !== undefined) this.host.munmap?.(b.mapping);
      try {
        this.host.perfEventIoctl?.(b.fd, PERF_EVENT_IOC_DISABLE, 0);
      } catch {
        // Disabling is best effort, as libbpf's.
      }
      this.host.close(b.fd);
    }
  }
}
