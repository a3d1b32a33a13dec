import type { MapRuntimeSpec, RingbufOps } from '@bpfkit/kernel-api';
import { BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP } from '../flags.js';
import type { MapEnv } from '../deps.js';
import { NEG_EINVAL, NEG_ENOTSUPP } from './errno.js';
import { fail, MapBase } from './map-base.js';
import { copyBytes } from './value-layout.js';

/** `BPF_RINGBUF_BUSY_BIT` and `BPF_RINGBUF_DISCARD_BIT` of a sample header's length. */
const BUSY_BIT = 0x8000_0000;
const DISCARD_BIT = 0x4000_0000;
/** `BPF_RINGBUF_HDR_SZ`. */
const HDR_SZ = 8;
/** `RINGBUF_MAX_RECORD_SZ`. */
const MAX_RECORD_SZ = Math.floor(0xffffffff / 4);
/** `BPF_RB_AVAIL_DATA`, `BPF_RB_RING_SIZE`, `BPF_RB_CONS_POS`, `BPF_RB_PROD_POS`. */
const RB_AVAIL_DATA = 0;
const RB_RING_SIZE = 1;
const RB_CONS_POS = 2;
const RB_PROD_POS = 3;

/**
 * `BPF_MAP_TYPE_RINGBUF` (ringbuf.c): a power-of-two data area with 8-byte
 * sample headers (length with busy and discard bits, page offset), producer,
 * consumer and pending positions, as `bpf_ringbuf_reserve`/`submit`/`discard`/
 * `output`/`query` see them, and a consumer like libbpf's `ring_buffer__poll`.
 * The kernel maps the data pages twice so a sample never wraps; here the data
 * area is twice the ring's size for the same effect. The syscall element
 * commands are ENOTSUPP, as for `user_ringbuf`.
 *
 * @example
 * const rb = maps.get(BpfMapType.BPF_MAP_TYPE_RINGBUF)!.create(spec).ringbuf!;
 * const sample = rb.reserve(16, 0);
 * rb.submit(sample, 0);
 * rb.consume((bytes) => console.log(bytes));
 */
export class RingbufMap extends MapBase implements RingbufOps {
  readonly ringbuf: RingbufOps | undefined;
  readonly mmapRegion: { readonly addr: number; readonly size: number };
  readonly #base: number;
  readonly #data: number;
  readonly #mask: number;
  readonly #pageSize: number;
  #consumerPos = 0;
  #producerPos = 0;
  #pendingPos = 0;
  #wakeups = 0;

  constructor(env: MapEnv, spec: MapRuntimeSpec, user: boolean) {
    super(env, spec);
    this.#pageSize = env.pageSize;
    this.#mask = spec.info.maxEntries - 1;
    // Page 0: the kernel's struct, 1: consumer_pos, 2: producer_pos, then the data.
    this.#base = this.alloc(3 * env.pageSize + 2 * spec.info.maxEntries, env.pageSize);
    this.#data = this.#base + 3 * env.pageSize;
    this.mmapRegion = { addr: this.#base + env.pageSize, size: 2 * env.pageSize + spec.info.maxEntries };
    this.ringbuf = user ? undefined : this;
  }

  /** Wake-ups the producer asked for (what `BPF_RB_NO_WAKEUP` / `BPF_RB_FORCE_WAKEUP` change). */
  get wakeups(): number {
    return this.#wakeups;
  }

  protected override get typeName(): string {
    return this.ringbuf === undefined ? 'user_ringbuf' : 'ringbuf';
  }

  /** Mirrors the positions into the consumer and producer pages user space maps (u64, without a BigInt). */
  #storePositions(): void {
    const view = this.arena.view;
    const cons = this.#base + this.#pageSize;
    const prod = this.#base + 2 * this.#pageSize;
    view.setUint32(cons, this.#consumerPos >>> 0, true);
    view.setUint32(cons + 4, Math.floor(this.#consumerPos / 2 ** 32), true);
    view.setUint32(prod, this.#producerPos >>> 0, true);
    view.setUint32(prod + 4, Math.floor(this.#producerPos / 2 ** 32), true);
  }

  /** `__bpf_ringbuf_reserve`. */
  #reserve(size: number): number {
    if (size > MAX_RECORD_SZ) return 0;
    const len = (size + HDR_SZ + 7) & ~7;
    if (len > this.#mask + 1) return 0;
    const view = this.arena.view;
    let pend = this.#pendingPos;
    const prod = this.#producerPos;
    // Skip the committed samples at the start of the pending window.
    while (pend < prod) {
      const hdrLen = view.getUint32(this.#data + (pend & this.#mask), true);
      if ((hdrLen & BUSY_BIT) !== 0) break;
      pend += ((hdrLen & ~DISCARD_BIT) + HDR_SZ + 7) & ~7;
    }
    this.#pendingPos = pend;
    const next = prod + len;
    if (next - this.#consumerPos > this.#mask || next - pend > this.#mask) return 0;
    const hdr = this.#data + (prod & this.#mask);
    view.setUint32(hdr, (size | BUSY_BIT) >>> 0, true);
    view.setUint32(hdr + 4, Math.floor((hdr - this.#base) / this.#pageSize), true);
    this.#producerPos = next;
    this.#storePositions();
    return hdr + HDR_SZ;
  }

  /** `bpf_ringbuf_commit`. */
  #commit(sampleAddr: number, flags: number, discard: boolean): void {
    const view = this.arena.view;
    const hdr = sampleAddr - HDR_SZ;
    // Only a reserved sample can be committed; anything else (an unchecked program's) is ignored.
    if (hdr < this.#data || hdr > this.#data + this.#mask || (hdr & 7) !== 0) return;
    if ((view.getUint32(hdr, true) & BUSY_BIT) === 0) return;
    let len = (view.getUint32(hdr, true) ^ BUSY_BIT) >>> 0;
    if (discard) len = (len | DISCARD_BIT) >>> 0;
    view.setUint32(hdr, len, true);
    const recPos = hdr - this.#data;
    if ((flags & BPF_RB_FORCE_WAKEUP) !== 0) this.#wakeups++;
    else if ((this.#consumerPos & this.#mask) === recPos && (flags & BPF_RB_NO_WAKEUP) === 0) this.#wakeups++;
  }

  reserve(size: number, flags: number): number {
    if (flags !== 0) return 0;
    return this.#reserve(size);
  }
  submit(sampleAddr: number, flags: number): void {
    this.#commit(sampleAddr, flags, false);
  }
  discard(sampleAddr: number, flags: number): void {
    this.#commit(sampleAddr, flags, true);
  }
  output(dataAddr: number, size: number, flags: number): number {
    if ((flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) !== 0) return NEG_EINVAL;
    const rec = this.#reserve(size);
    if (rec === 0) return -11; // EAGAIN
    const bytes = this.bytes;
    copyBytes(bytes, rec, bytes, dataAddr, size);
    this.#commit(rec, flags, false);
    return 0;
  }
  query(flags: number): bigint {
    switch (flags) {
      case RB_AVAIL_DATA: return BigInt(this.#producerPos - this.#consumerPos);
      case RB_RING_SIZE: return BigInt(this.#mask + 1);
      case RB_CONS_POS: return BigInt(this.#consumerPos);
      case RB_PROD_POS: return BigInt(this.#producerPos);
      default: return 0n;
    }
  }
  consume(cb: (sample: Uint8Array) => void): number {
    let n = 0;
    let gotNew = true;
    while (gotNew) {
      gotNew = false;
      while (this.#consumerPos < this.#producerPos) {
        const hdr = this.#data + (this.#consumerPos & this.#mask);
        const len = this.arena.view.getUint32(hdr, true);
        if ((len & BUSY_BIT) !== 0) return n;
        gotNew = true;
        const size = len & ~(BUSY_BIT | DISCARD_BIT);
        this.#consumerPos += (size + HDR_SZ + 7) & ~7;
        if ((len & DISCARD_BIT) === 0) {
          cb(this.bytes.slice(hdr + HDR_SZ, hdr + HDR_SZ + size));
          n++;
        }
        this.#storePositions();
      }
    }
    return n;
  }

  lookupElem(): number {
    return 0;
  }
  updateElem(): number {
    return NEG_ENOTSUPP;
  }
  deleteElem(): number {
    return NEG_ENOTSUPP;
  }
  sysLookup(): Uint8Array {
    return fail('ENOTSUPP', 'ringbuf-lookup', `${this.typeName} maps have no elements`);
  }
  sysUpdate(): void {
    fail('ENOTSUPP', 'ringbuf-update', `${this.typeName} maps have no elements`);
  }
  sysDelete(): void {
    fail('ENOTSUPP', 'ringbuf-delete', `${this.typeName} maps have no elements`);
  }
  sysGetNextKey(): Uint8Array {
    return fail('ENOTSUPP', 'ringbuf-get-next-key', `${this.typeName} maps have no keys`);
  }
}
