import type { MapRuntimeSpec, RingbufOps, UserRingbufOps } from '@bpfkit/kernel-api';
import {
  BPF_RB_AVAIL_DATA,
  BPF_RB_CONS_POS,
  BPF_RB_FORCE_WAKEUP,
  BPF_RB_NO_WAKEUP,
  BPF_RB_PROD_POS,
  BPF_RB_RING_SIZE,
  BPF_RINGBUF_BUSY_BIT as BUSY_BIT,
  BPF_RINGBUF_DISCARD_BIT as DISCARD_BIT,
  BPF_RINGBUF_HDR_SZ as HDR_SZ,
} from '@bpfkit/uapi';
import type { MapEnv } from '../deps.js';
import { NEG_EINVAL, NEG_ENOTSUPP } from './errno.js';
import { fail, MapBase } from './map-base.js';
import { copyBytes } from './value-layout.js';

/** `RINGBUF_MAX_RECORD_SZ`. */
const MAX_RECORD_SZ = Math.floor(0xffffffff / 4);
const TWO_32 = 2 ** 32;
/** `DYNPTR_MAX_SIZE`: a user ringbuf sample must fit a dynptr. */
const MAX_DYNPTR_SZ = (1 << 24) - 1;

/**
 * `BPF_MAP_TYPE_RINGBUF` (ringbuf.c): a power-of-two data area with 8-byte
 * sample headers (length with busy and discard bits, page offset), producer,
 * consumer and pending positions, as `bpf_ringbuf_reserve`/`submit`/`discard`/
 * `output`/`query` see them, and a consumer like libbpf's `ring_buffer__poll`.
 *
 * `consumer_pos` and `producer_pos` live only in the consumer and producer
 * pages `mmap()` exposes, as in the kernel: a consumer that maps the consumer
 * page writable and stores a new `consumer_pos` there frees room the producer
 * sees at its next reserve. The kernel maps the data pages twice so a sample
 * never wraps; here the data area is twice the ring's size for the same
 * effect. The syscall element commands are ENOTSUPP, as for `user_ringbuf`.
 *
 * @example
 * const rb = maps.get(BpfMapType.BPF_MAP_TYPE_RINGBUF)!.create(spec).ringbuf!;
 * const sample = rb.reserve(16, 0);
 * rb.submit(sample, 0);
 * rb.consume((bytes) => console.log(bytes));
 */
export class RingbufMap extends MapBase implements RingbufOps {
  readonly ringbuf: RingbufOps | undefined;
  readonly userRingbuf: UserRingbufOps | undefined;
  readonly mmapRegion: { readonly addr: number; readonly size: number };
  readonly #base: number;
  /** Arena addresses of the u64 `consumer_pos` and `producer_pos` (the first bytes of their pages). */
  readonly #cons: number;
  readonly #prod: number;
  readonly #data: number;
  readonly #mask: number;
  readonly #pageSize: number;
  /** `pending_pos`: kernel-private (page 0 in the kernel), never mapped. */
  #pendingPos = 0;
  #wakeups = 0;

  constructor(env: MapEnv, spec: MapRuntimeSpec, user: boolean) {
    super(env, spec);
    this.#pageSize = env.pageSize;
    this.#mask = spec.info.maxEntries - 1;
    // Page 0: the kernel's struct, 1: consumer_pos, 2: producer_pos, then the data.
    this.#base = this.alloc(3 * env.pageSize + 2 * spec.info.maxEntries, env.pageSize);
    this.#cons = this.#base + env.pageSize;
    this.#prod = this.#base + 2 * env.pageSize;
    this.#data = this.#base + 3 * env.pageSize;
    this.arena.bytes.fill(0, this.#cons, this.#data);
    this.mmapRegion = { addr: this.#cons, size: 2 * env.pageSize + spec.info.maxEntries };
    this.ringbuf = user ? undefined : this;
    this.userRingbuf = user ? { peek: () => this.#userPeek(), release: (size) => { this.#userRelease(size); } } : undefined;
  }

  /** Wake-ups the producer asked for (what `BPF_RB_NO_WAKEUP` / `BPF_RB_FORCE_WAKEUP` change). */
  get wakeups(): number {
    return this.#wakeups;
  }

  protected override get typeName(): string {
    return this.ringbuf === undefined ? 'user_ringbuf' : 'ringbuf';
  }

  /** Low and high u32 halves of the u64 at `addr` (read without a BigInt). */
  #lo(addr: number): number {
    return this.arena.view.getUint32(addr, true);
  }
  #hi(addr: number): number {
    return this.arena.view.getUint32(addr + 4, true);
  }

  /** `producer_pos`: it only grows from 0 by whole records, so it stays an exact number. */
  #producerPos(): number {
    return this.#hi(this.#prod) * TWO_32 + this.#lo(this.#prod);
  }

  /** `consumer_pos` as a number (user space may have stored any u64; above 2^53 it is rounded). */
  #consumerPos(): number {
    return this.#hi(this.#cons) * TWO_32 + this.#lo(this.#cons);
  }

  #store(addr: number, pos: number): void {
    const view = this.arena.view;
    view.setUint32(addr, pos >>> 0, true);
    view.setUint32(addr + 4, Math.floor(pos / TWO_32) >>> 0, true);
  }

  /** `new_prod_pos - cons_pos > mask` in the kernel's unsigned 64-bit arithmetic, whatever user space stored. */
  #noRoom(next: number): boolean {
    const consLo = this.#lo(this.#cons);
    const nextLo = next >>> 0;
    const borrow = nextLo < consLo ? 1 : 0;
    const diffHi = (Math.floor(next / TWO_32) - this.#hi(this.#cons) - borrow) >>> 0;
    return diffHi !== 0 || ((nextLo - consLo) >>> 0) > this.#mask;
  }

  /** `__bpf_user_ringbuf_peek`: the sample at `consumer_pos`, as user space's `producer_pos` and header describe it. */
  #userPeek(): { readonly addr: number; readonly size: number } | number {
    const prod = this.#producerPos();
    if (prod % 8 !== 0) return -22;
    const cons = this.#consumerPos();
    if (cons >= prod) return -61;
    const hdrLen = this.arena.view.getUint32(this.#data + (cons & this.#mask), true);
    const flags = hdrLen & (BUSY_BIT | DISCARD_BIT);
    const size = (hdrLen & ~flags) >>> 0;
    const total = (size + HDR_SZ + 7) & ~7;
    if (total > prod - cons) return -22;
    if (total > this.#mask + 1 || size > MAX_DYNPTR_SZ) return -7;
    if ((flags & DISCARD_BIT) !== 0) {
      // The kernel releases a discarded sample by its rounded length, rounding it (with a header) once more.
      this.#userRelease(total);
      return -11;
    }
    if ((flags & BUSY_BIT) !== 0) return -61;
    return { addr: this.#data + ((cons + HDR_SZ) & this.#mask), size };
  }

  /** `__bpf_user_ringbuf_sample_release`. */
  #userRelease(size: number): void {
    this.#store(this.#cons, this.#consumerPos() + ((size + HDR_SZ + 7) & ~7));
  }

  /** `__bpf_ringbuf_reserve`. */
  #reserve(size: number): number {
    if (size > MAX_RECORD_SZ) return 0;
    const len = (size + HDR_SZ + 7) & ~7;
    if (len > this.#mask + 1) return 0;
    const view = this.arena.view;
    let pend = this.#pendingPos;
    const prod = this.#producerPos();
    // Skip the committed samples at the start of the pending window.
    while (pend < prod) {
      const hdrLen = view.getUint32(this.#data + (pend & this.#mask), true);
      if ((hdrLen & BUSY_BIT) !== 0) break;
      pend += ((hdrLen & ~DISCARD_BIT) + HDR_SZ + 7) & ~7;
    }
    this.#pendingPos = pend;
    const next = prod + len;
    if (this.#noRoom(next) || next - pend > this.#mask) return 0;
    const hdr = this.#data + (prod & this.#mask);
    view.setUint32(hdr, (size | BUSY_BIT) >>> 0, true);
    view.setUint32(hdr + 4, Math.floor((hdr - this.#base) / this.#pageSize), true);
    this.#store(this.#prod, next);
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
    else if ((this.#lo(this.#cons) & this.#mask) === recPos && (flags & BPF_RB_NO_WAKEUP) === 0) this.#wakeups++;
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
    const view = this.arena.view;
    switch (flags) {
      case BPF_RB_AVAIL_DATA: return BigInt.asUintN(64, view.getBigUint64(this.#prod, true) - view.getBigUint64(this.#cons, true));
      case BPF_RB_RING_SIZE: return BigInt(this.#mask + 1);
      case BPF_RB_CONS_POS: return view.getBigUint64(this.#cons, true);
      case BPF_RB_PROD_POS: return view.getBigUint64(this.#prod, true);
      default: return 0n;
    }
  }
  /** libbpf's `ringbuf_process_ring`: reads both positions from their pages and stores `consumer_pos` back after each record. */
  consume(cb: (sample: Uint8Array) => void): number {
    let n = 0;
    let cons = this.#consumerPos();
    let gotNew = true;
    while (gotNew) {
      gotNew = false;
      const prod = this.#producerPos();
      while (cons < prod) {
        const hdr = this.#data + (cons & this.#mask);
        const len = this.arena.view.getUint32(hdr, true);
        if ((len & BUSY_BIT) !== 0) return n;
        gotNew = true;
        const size = len & ~(BUSY_BIT | DISCARD_BIT);
        cons += (size + HDR_SZ + 7) & ~7;
        if ((len & DISCARD_BIT) === 0) {
          cb(this.bytes.slice(hdr + HDR_SZ, hdr + HDR_SZ + size));
          n++;
        }
        this.#store(this.#cons, cons);
      }
    }
    return n;
  }

  override lookupElem(): number {
    return 0;
  }
  override updateElem(): number {
    return NEG_ENOTSUPP;
  }
  override deleteElem(): number {
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
