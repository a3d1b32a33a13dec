// An arena's pages (kernel/bpf/arena.c, Linux 6.18): bpf_arena_alloc_pages / free_pages / reserve_pages,
// program loads and stores by kernel offset (a missing page reads as nothing), user faults, and the
// mmap rules of arena_get_unmapped_area. This machine's kernel refuses ARENA maps (EPERM), so the
// expected answers come from the kernel source and the verifier corpus (verifier_arena*.json runs).
import test from 'ava';
import { BPF_F_SEGV_ON_FAULT } from '@bpfkit/uapi';
import { ArenaPages } from '../dist/runtime/arena-pages.js';
import { errnoOf } from './runtime-helpers.js';

const PAGE = 4096;
const START = 0x1001_0000_0000n;
const lo32 = (a: bigint): number => Number(a & 0xffff_ffffn);

test('alloc hands out free pages, at a given address or anywhere; freed pages come back and read as missing', (t) => {
  const a = new ArenaPages(PAGE, 2, START, 0);
  const p1 = a.allocPages(0n, 1, -1, 0n);
  t.is(p1, START);
  const p2 = a.allocPages(START + BigInt(PAGE), 1, -1, 0n);
  t.is(p2, START + BigInt(PAGE));
  t.is(a.allocPages(0n, 1, -1, 0n), 0n, 'the arena is full');
  t.true(a.store(lo32(p2), new Uint8Array([2, 0, 0, 0])));
  t.deepEqual([...(a.load(lo32(p2), 4) ?? [])], [2, 0, 0, 0]);
  a.freePages(p2, 1);
  t.is(a.load(lo32(p2), 4), undefined, 'use after free reads nothing (the JIT gives 0)');
  t.false(a.store(lo32(p2), new Uint8Array([1])));
  t.is(a.allocPages(0n, 1, -1, 0n), p2);
});

test('alloc refuses flags, 0 pages, too many pages, unaligned or out-of-range addresses and unknown NUMA nodes', (t) => {
  const a = new ArenaPages(PAGE, 4, START, 0);
  t.is(a.allocPages(0n, 1, -1, 1n), 0n);
  t.is(a.allocPages(0n, 0, -1, 0n), 0n);
  t.is(a.allocPages(0n, 5, -1, 0n), 0n);
  t.is(a.allocPages(START + 1n, 1, -1, 0n), 0n);
  t.is(a.allocPages(START + 3n * BigInt(PAGE), 2, -1, 0n), 0n);
  t.is(a.allocPages(0n, 1, 7, 0n), 0n);
  // The last page of the arena can be had (what Linux 6.18 does for verifier_arena_large/big_alloc1).
  t.is(a.allocPages(START + 3n * BigInt(PAGE), 1, -1, 0n), START + 3n * BigInt(PAGE));
});

test('an access across two pages needs both; offsets outside the 4 GiB window miss', (t) => {
  const a = new ArenaPages(PAGE, 2, START, 0);
  a.allocPages(0n, 2, -1, 0n);
  const at = lo32(START) + PAGE - 2;
  t.true(a.store(at, new Uint8Array([1, 2, 3, 4])));
  t.deepEqual([...(a.load(at, 4) ?? [])], [1, 2, 3, 4]);
  t.is(a.load(-8, 8), undefined);
  t.is(a.load(2 ** 32, 1), undefined);
  a.freePages(START + BigInt(PAGE), 1);
  t.is(a.load(at, 4), undefined);
});

test('reserve_pages: taken pages cannot be allocated or faulted in; busy or outside ranges are -EBUSY / -EINVAL', (t) => {
  const a = new ArenaPages(PAGE, 4, START, 0);
  t.is(a.reservePages(START, 2), 0);
  t.is(a.allocPages(START, 1, -1, 0n), 0n);
  t.is(a.reservePages(START + BigInt(PAGE), 1), -16);
  t.is(a.reservePages(START + 3n * BigInt(PAGE), 2), -22);
  t.is(a.userPage(0), undefined);
  t.is(a.allocPages(0n, 1, -1, 0n), START + 2n * BigInt(PAGE));
});

test('a user fault allocates the page the program then sees, unless BPF_F_SEGV_ON_FAULT', (t) => {
  const a = new ArenaPages(PAGE, 2, START, 0);
  const page = a.userPage(1);
  page?.set([9], 0);
  t.deepEqual([...(a.load(lo32(START) + PAGE, 1) ?? [])], [9]);
  t.is(a.allocPages(START + BigInt(PAGE), 1, -1, 0n), 0n, 'the faulted page is taken');
  const segv = new ArenaPages(PAGE, 2, START, BPF_F_SEGV_ON_FAULT);
  t.is(segv.userPage(0), undefined);
  const p = segv.allocPages(0n, 1, -1, 0n);
  t.is(segv.userPage(0), segv.userPage(0));
  t.not(p, 0n);
});

test('mmap: offset 0 only, at most 4 GiB, the whole fixed range when map_extra set it; the first mapping picks the range otherwise', (t) => {
  const fixed = new ArenaPages(PAGE, 2, START, 0);
  t.is(errnoOf(() => { fixed.checkMmap(2 * PAGE, 1); }), 'EINVAL');
  t.is(errnoOf(() => { fixed.checkMmap(PAGE, 0); }), 'EINVAL');
  t.is(errnoOf(() => { fixed.checkMmap(3 * PAGE, 0); }), 'E2BIG');
  t.is(errnoOf(() => { fixed.checkMmap(2 ** 32 + PAGE, 0); }), 'E2BIG');
  fixed.checkMmap(2 * PAGE, 0);
  t.is(fixed.mmap(2 * PAGE), START);
  const free = new ArenaPages(PAGE, 4, 0n, 0);
  t.is(free.userVmStart, 0n);
  t.is(free.allocPages(0n, 1, -1, 0n), 0n, 'no user range yet: nothing to allocate');
  const start = free.mmap(4 * PAGE);
  t.not(start, 0n);
  t.is(start >> 32n, (start + 4n * BigInt(PAGE) - 1n) >> 32n, 'the range does not cross a 4 GiB boundary');
  t.is(free.userVmEnd - free.userVmStart, 4n * BigInt(PAGE));
  t.is(errnoOf(() => { free.checkMmap(2 * PAGE, 0); }), 'EINVAL', 'a second mapping must cover the same range');
  t.is(free.allocPages(0n, 1, -1, 0n), start);
});
