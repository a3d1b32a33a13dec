import { BpfError, MAP_SHARED, PROT_READ, PROT_WRITE, type MemoryMapping } from '@bpfkit/kernel-api';

/** The two `mmap()` calls a ringbuf consumer makes; a simulated `Task` and `LinuxSyscall` both have them. */
export interface RingBufferHost {
  mmap?(fd: number, length: number, prot: number, flags: number, offset?: number): MemoryMapping;
  munmap?(mapping: MemoryMapping): void;
}

const PAGE = 4096;
const BUSY = 0x80000000;
const DISCARD = 0x40000000;
const HEADER = 8;

/**
 * A consumer of one `BPF_MAP_TYPE_RINGBUF` map, as libbpf's `ring_buffer__new`
 * sets it up: the consumer page mapped read-write, the producer page and data
 * read-only. {@link consume} returns the committed records and advances the
 * consumer position; discarded records are skipped, a busy one stops the walk.
 *
 * @example
 * const rb = RingBuffer.open(host, map.fd, map.maxEntries);
 * prog.testRun({ dataIn: packet });
 * for (const sample of rb.consume()) console.log(sample.length);
 * rb.close();
 */
export class RingBuffer {
  #closed = false;

  private constructor(
    private readonly host: RingBufferHost,
    private readonly consumer: MemoryMapping,
    private readonly producer: MemoryMapping,
    private readonly size: number,
  ) {}

  /** Maps the ring of map `fd` (its data size is `maxEntries`, a power-of-two multiple of the page size). */
  static open(host: RingBufferHost, fd: number, maxEntries: number): RingBuffer {
    if (host.mmap === undefined || host.munmap === undefined) throw new BpfError('EOPNOTSUPP', 'libbpf:no-mmap', 'this host cannot mmap(), which a ringbuf consumer needs');
    const consumer = host.mmap(fd, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
    try {
      const producer = host.mmap(fd, PAGE + 2 * maxEntries, PROT_READ, MAP_SHARED, PAGE);
      return new RingBuffer(host, consumer, producer, maxEntries);
    } catch (e) {
      host.munmap(consumer);
      throw e;
    }
  }

  /** Every committed record after the consumer position, in order; the position moves past them. */
  consume(): Uint8Array[] {
    if (this.#closed) throw new BpfError('EBADF', 'libbpf:ringbuf-closed', 'the ring buffer consumer is closed');
    const out: Uint8Array[] = [];
    const pos = (m: MemoryMapping): bigint => new DataView(m.read(0, 8).buffer).getBigUint64(0, true);
    let cons = pos(this.consumer);
    const prod = pos(this.producer);
    const mask = BigInt(this.size - 1);
    while (cons < prod) {
      const at = PAGE + Number(cons & mask);
      const header = new DataView(this.producer.read(at, HEADER).buffer).getUint32(0, true);
      if ((header & BUSY) !== 0) break;
      const len = header & 0x3fffffff;
      if ((header & DISCARD) === 0) out.push(this.readData(Number((cons + BigInt(HEADER)) & mask), len));
      cons += BigInt((len + HEADER + 7) & ~7);
      const next = new Uint8Array(8);
      new DataView(next.buffer).setBigUint64(0, cons, true);
      this.consumer.write(0, next);
    }
    return out;
  }

  /** Reads `len` bytes at ring offset `off`, wrapping at the end of the ring. */
  private readData(off: number, len: number): Uint8Array {
    const first = Math.min(len, this.size - off);
    const head = this.producer.read(PAGE + off, first);
    if (first === len) return head;
    const out = new Uint8Array(len);
    out.set(head, 0);
    out.set(this.producer.read(PAGE, len - first), first);
    return out;
  }

  /** Unmaps both windows. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.host.munmap?.(this.producer);
    this.host.munmap?.(this.consumer);
  }
}
