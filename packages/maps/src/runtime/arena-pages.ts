import type { BpfArenaOps } from '@bpfkit/kernel-api';
import { BPF_F_SEGV_ON_FAULT } from '@bpfkit/uapi';
import { fail } from './map-base.js';

const FOUR_GIB = 1n << 32n;
const LO32 = 0xffff_ffffn;
/** Where a first mmap without `map_extra` puts the arena (the kernel lets `mm_get_unmapped_area` choose). */
const DEFAULT_USER_START = 0x7f00_0000_0000n;
const NUMA_NO_NODE = -1;
const EINVAL = 22;
const EBUSY = 16;

/** Page slot states of the arena's range tree (`arena->rt`): set bits are free pages. */
const FREE = 0;
const TAKEN = 1;

/**
 * The pages of one arena and its user range, as kernel/bpf/arena.c keeps them: a map of
 * page offset → page for the kernel side (`kern_vm`, indexed by the low 32 bits of the user
 * address) and the free/taken state of each page offset (`arena->rt`).
 *
 * @example
 * const pages = new ArenaPages(4096, 4, 0x1000_0000_0000n, 0);
 * pages.allocPages(0n, 1, -1, 0n); // 0x100000000000n
 */
export class ArenaPages implements BpfArenaOps {
  #userVmStart: bigint;
  #userVmEnd: bigint;
  readonly #kernPages = new Map<number, Uint8Array>();
  readonly #state: Uint8Array;
  readonly #pageShift: number;

  constructor(readonly pageSize: number, private readonly maxEntries: number, mapExtra: bigint, private readonly mapFlags: number) {
    this.#pageShift = Math.log2(pageSize);
    this.#userVmStart = mapExtra;
    this.#userVmEnd = mapExtra === 0n ? 0n : mapExtra + BigInt(maxEntries) * BigInt(pageSize);
    this.#state = new Uint8Array(maxEntries);
  }

  get userVmStart(): bigint {
    return this.#userVmStart;
  }

  get userVmEnd(): bigint {
    return this.#userVmEnd;
  }

  /** Pages the arena's user range holds (`page_cnt_max`). */
  get #pageCntMax(): number {
    return Number((this.#userVmEnd - this.#userVmStart) >> BigInt(this.#pageShift));
  }

  /** `compute_pgoff`: the page offset of a user address by its low 32 bits. */
  #pgoff(uaddr: bigint): number {
    return Number(BigInt.asUintN(32, BigInt.asUintN(32, uaddr) - (this.#userVmStart & LO32)) >> BigInt(this.#pageShift));
  }

  /** The kernel page index (low 32 bits of the user address, in pages) of page offset `pgoff`. */
  #kernIndex(pgoff: number): number {
    return Number(BigInt.asUintN(32, (this.#userVmStart & LO32) + BigInt(pgoff) * BigInt(this.pageSize)) >> BigInt(this.#pageShift));
  }

  checkMmap(length: number, pgoff: number): void {
    if (pgoff !== 0) fail('EINVAL', 'arena-mmap-offset', 'an arena is mapped from offset 0');
    const len = BigInt(length);
    if (len > FOUR_GIB) fail('E2BIG', 'arena-mmap-too-big', 'an arena mapping spans at most 4 GiB');
    if (this.#userVmStart === 0n) return;
    const range = this.#userVmEnd - this.#userVmStart;
    if (len > range) fail('E2BIG', 'arena-mmap-too-big', `the arena's user range is ${range} bytes`);
    if (len !== range) fail('EINVAL', 'arena-mmap-size', `every mapping of this arena must be ${range} bytes long`);
  }

  mmap(length: number): bigint {
    if (this.#userVmStart !== 0n) return this.#userVmStart;
    const len = BigInt(length);
    // mm_get_unmapped_area's pick, moved up to the next 4 GiB boundary if it would cross one.
    let start = DEFAULT_USER_START;
    if (start >> 32n !== (start + len - 1n) >> 32n) start = ((start >> 32n) + 1n) << 32n;
    this.#userVmStart = start;
    this.#userVmEnd = start + len;
    return start;
  }

  /** `is_range_tree_set`: every page of [pgoff, pgoff + cnt) is free. */
  #allFree(pgoff: number, cnt: number): boolean {
    for (let i = pgoff; i < pgoff + cnt; i++) if (this.#state[i] !== FREE) return false;
    return true;
  }

  /** `range_tree_find`: the smallest free run that fits `cnt` pages (the lowest of equal ones), or -1. */
  #findFree(cnt: number, limit: number): number {
    let best = -1;
    let bestLen = Infinity;
    for (let i = 0; i < limit;) {
      if (this.#state[i] !== FREE) { i++; continue; }
      let j = i;
      while (j < limit && this.#state[j] === FREE) j++;
      const len = j - i;
      if (len >= cnt && len < bestLen) { best = i; bestLen = len; }
      i = j;
    }
    return best;
  }

  allocPages(uaddr: bigint, pageCnt: number, nodeId: number, flags: bigint): bigint {
    const max = this.#pageCntMax;
    if (flags !== 0n || pageCnt === 0 || pageCnt > max) return 0n;
    if (nodeId !== NUMA_NO_NODE && nodeId !== 0) return 0n;
    let pgoff: number;
    if (uaddr !== 0n) {
      if ((uaddr & BigInt(this.pageSize - 1)) !== 0n) return 0n;
      pgoff = this.#pgoff(uaddr);
      if (pgoff > max - pageCnt || !this.#allFree(pgoff, pageCnt)) return 0n;
    } else {
      pgoff = this.#findFree(pageCnt, Math.min(max, this.maxEntries));
      if (pgoff < 0) return 0n;
    }
    for (let i = 0; i < pageCnt; i++) {
      this.#state[pgoff + i] = TAKEN;
      this.#kernPages.set(this.#kernIndex(pgoff + i), new Uint8Array(this.pageSize));
    }
    return (this.#userVmStart & ~LO32) + BigInt.asUintN(32, this.#userVmStart + BigInt(pgoff) * BigInt(this.pageSize));
  }

  freePages(uaddr: bigint, pageCnt: number): void {
    if (pageCnt === 0 || uaddr === 0n) return;
    const low = BigInt.asUintN(32, uaddr) & ~BigInt(this.pageSize - 1);
    const full = (this.#userVmStart & ~LO32) + low;
    const endWanted = full + (BigInt(pageCnt) << BigInt(this.#pageShift));
    const end = endWanted < this.#userVmEnd ? endWanted : this.#userVmEnd;
    if (full >= end) return;
    const cnt = Number((end - full) >> BigInt(this.#pageShift));
    const pgoff = this.#pgoff(low);
    for (let i = pgoff; i < pgoff + cnt && i < this.maxEntries; i++) {
      this.#state[i] = FREE;
      this.#kernPages.delete(this.#kernIndex(i));
    }
  }

  reservePages(uaddr: bigint, pageCnt: number): number {
    if (pageCnt === 0) return 0;
    if ((uaddr & BigInt(this.pageSize - 1)) !== 0n) return 0;
    const pgoff = this.#pgoff(uaddr);
    if (pgoff + pageCnt > this.#pageCntMax) return -EINVAL;
    if (!this.#allFree(pgoff, pageCnt)) return -EBUSY;
    this.#state.fill(TAKEN, pgoff, pgoff + pageCnt);
    return 0;
  }

  /** The bytes of [kaddr, kaddr + size) page by page, or undefined if one is missing (or outside the 4 GiB window). */
  #pieces(kaddr: number, size: number): Array<{ page: Uint8Array; at: number; len: number }> | undefined {
    const out: Array<{ page: Uint8Array; at: number; len: number }> = [];
    let a = kaddr;
    let left = size;
    while (left > 0) {
      if (a < 0 || a >= 2 ** 32) return undefined;
      const page = this.#kernPages.get(Math.floor(a / this.pageSize));
      if (page === undefined) return undefined;
      const at = a % this.pageSize;
      const len = Math.min(left, this.pageSize - at);
      out.push({ page, at, len });
      a += len;
      left -= len;
    }
    return out;
  }

  load(kaddr: number, size: number): Uint8Array | undefined {
    const pieces = this.#pieces(kaddr, size);
    if (pieces === undefined) return undefined;
    const first = pieces[0];
    if (pieces.length === 1 && first !== undefined) return first.page.subarray(first.at, first.at + size);
    const out = new Uint8Array(size);
    let o = 0;
    for (const p of pieces) {
      out.set(p.page.subarray(p.at, p.at + p.len), o);
      o += p.len;
    }
    return out;
  }

  store(kaddr: number, bytes: Uint8Array): boolean {
    const pieces = this.#pieces(kaddr, bytes.length);
    if (pieces === undefined) return false;
    let o = 0;
    for (const p of pieces) {
      p.page.set(bytes.subarray(o, o + p.len), p.at);
      o += p.len;
    }
    return true;
  }

  userPage(pgoff: number): Uint8Array | undefined {
    if (!Number.isInteger(pgoff) || pgoff < 0 || pgoff >= this.#pageCntMax || pgoff >= this.maxEntries) return undefined;
    const k = this.#kernIndex(pgoff);
    const have = this.#kernPages.get(k);
    if (have !== undefined) return have;
    // arena_vm_fault: a user fault allocates the page unless asked to fault, or the page is reserved.
    if ((this.mapFlags & BPF_F_SEGV_ON_FAULT) !== 0 || this.#state[pgoff] !== FREE) return undefined;
    const page = new Uint8Array(this.pageSize);
    this.#state[pgoff] = TAKEN;
    this.#kernPages.set(k, page);
    return page;
  }
}
