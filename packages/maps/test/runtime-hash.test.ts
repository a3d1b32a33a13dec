import test from 'ava';
import { BPF_ANY, BPF_EXIST, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_ZERO_SEED, BPF_NOEXIST, BpfMapType } from '@bpfkit/uapi';
import type { BpfMap } from '@bpfkit/kernel-api';
import { errnoOf, keys, machine, place, rd32, u32 } from './runtime-helpers.js';

const { arena, create } = machine();
const HASH = BpfMapType.BPF_MAP_TYPE_HASH;
const PERCPU_HASH = BpfMapType.BPF_MAP_TYPE_PERCPU_HASH;
const LRU = BpfMapType.BPF_MAP_TYPE_LRU_HASH;
const LRU_PERCPU = BpfMapType.BPF_MAP_TYPE_LRU_PERCPU_HASH;

const order = (m: BpfMap): string => keys(m).map((k) => rd32(k)).join(',');

// Measured on Linux 6.18 (2 possible CPUs, syscalls pinned to CPU 0).
test('zero-seeded hash: get_next_key walks buckets as the kernel does (measured order)', (t) => {
  const m = create({ type: HASH, max: 8, flags: BPF_F_ZERO_SEED });
  for (let k = 1; k <= 8; k++) m.sysUpdate(u32(k), u32(k * 10), BPF_ANY, {});
  t.is(order(m), '4,7,2,1,8,6,5,3');
});

test('zero-seeded hash: keys of other sizes land in the kernel buckets too (measured order)', (t) => {
  const measured: Record<number, string> = {
    12: '6,7,11,9,3,5,8,0,15,1,12,10,4,2,13,14',
    5: '5,9,12,10,11,8,6,13,7,4,15,3,2,0,14,1',
    16: '13,11,14,5,1,6,8,4,3,2,15,12,9,0,7,10',
    20: '0,15,6,3,13,10,7,9,4,8,2,12,11,14,5,1',
  };
  for (const [size, expected] of Object.entries(measured)) {
    const ksz = Number(size);
    const m = create({ type: HASH, key: ksz, max: 16, flags: BPF_F_ZERO_SEED });
    for (let i = 0; i < 16; i++) {
      const k = new Uint8Array(ksz);
      k[0] = i;
      k[ksz - 1] = i * 7;
      m.sysUpdate(k, u32(i), BPF_ANY, {});
    }
    t.is(keys(m).map((k) => k[0]).join(','), expected, `key_size ${ksz}`);
  }
});

test('hash: BPF_NOEXIST on a present key is EEXIST, BPF_EXIST on a missing key ENOENT, full map E2BIG', (t) => {
  const m = create({ type: HASH, max: 2 });
  m.sysUpdate(u32(1), u32(1), BPF_ANY, {});
  t.is(errnoOf(() => { m.sysUpdate(u32(1), u32(1), BPF_NOEXIST, {}); }), 'EEXIST');
  t.is(errnoOf(() => { m.sysUpdate(u32(2), u32(1), BPF_EXIST, {}); }), 'ENOENT');
  m.sysUpdate(u32(2), u32(2), BPF_ANY, {});
  t.is(errnoOf(() => { m.sysUpdate(u32(3), u32(3), BPF_ANY, {}); }), 'E2BIG');
  t.is(errnoOf(() => { m.sysUpdate(u32(2), u32(9), BPF_EXIST, {}); }), 'ok', 'a full map still takes updates of present keys');
  t.is(errnoOf(() => { m.sysUpdate(u32(2), u32(9), 4 | 8, {}); }), 'EINVAL');
});

test('hash: an update of a present key moves it to the head of its bucket (measured order)', (t) => {
  const m = create({ type: HASH, max: 16, flags: BPF_F_ZERO_SEED });
  for (let k = 1; k <= 16; k++) m.sysUpdate(u32(k), u32(0), BPF_ANY, {});
  t.is(order(m), '10,4,16,15,5,14,7,2,13,1,8,12,11,9,6,3');
  for (const k of [3, 9, 14, 1]) m.sysUpdate(u32(k), u32(5), BPF_EXIST, {});
  t.is(order(m), '10,4,16,15,5,14,7,2,1,13,8,9,12,11,6,3');
});

test('hash: delete of a missing key is ENOENT; get_next_key of a missing key gives the first key', (t) => {
  const m = create({ type: HASH, max: 4, flags: BPF_F_ZERO_SEED });
  m.sysUpdate(u32(5), u32(1), BPF_ANY, {});
  m.sysUpdate(u32(6), u32(1), BPF_ANY, {});
  t.is(errnoOf(() => { m.sysDelete(u32(7)); }), 'ENOENT');
  t.deepEqual(m.sysGetNextKey(u32(7)), m.sysGetNextKey(undefined));
  m.sysDelete(u32(5));
  t.is(order(m), '6');
});

test('hash: lookup_and_delete returns the value and removes the key', (t) => {
  const m = create({ type: HASH, max: 4 });
  m.sysUpdate(u32(1), u32(42), BPF_ANY, {});
  t.is(rd32(m.sysLookupAndDelete(u32(1), 0)), 42);
  t.is(errnoOf(() => m.sysLookup(u32(1), 0)), 'ENOENT');
  t.is(errnoOf(() => m.sysLookupAndDelete(u32(1), 0)), 'ENOENT');
});

test('hash: a program lookup returns the value in the arena, a program update and delete give 0 or -errno', (t) => {
  const m = create({ type: HASH, max: 1 });
  const k = place(arena, u32(3));
  t.is(m.lookupElem(k, 0), 0);
  t.is(m.updateElem(k, place(arena, u32(9)), BPF_ANY, 0), 0);
  const v = m.lookupElem(k, 0);
  t.is(arena.view.getUint32(v, true), 9);
  arena.view.setUint32(v, 10, true);
  t.is(rd32(m.sysLookup(u32(3), 0)), 10);
  t.is(m.updateElem(place(arena, u32(4)), k, BPF_ANY, 0), -7);
  t.is(m.deleteElem(k, 0), 0);
  t.is(m.deleteElem(k, 0), -2);
});

test('hash: BPF_F_NO_PREALLOC grows in the arena and holds max_entries keys', (t) => {
  const m = create({ type: HASH, max: 100, flags: BPF_F_NO_PREALLOC });
  for (let k = 0; k < 100; k++) m.sysUpdate(u32(k), u32(k), BPF_ANY, {});
  t.is(errnoOf(() => { m.sysUpdate(u32(100), u32(0), BPF_ANY, {}); }), 'E2BIG');
  t.is(keys(m).length, 100);
});

test('hash: for_each passes key and value addresses in bucket order', (t) => {
  const m = create({ type: HASH, max: 8, flags: BPF_F_ZERO_SEED });
  for (let k = 1; k <= 8; k++) m.sysUpdate(u32(k), u32(k * 10), BPF_ANY, {});
  const seen: string[] = [];
  t.is(m.forEachElem(0, (ka, va) => { seen.push(`${arena.view.getUint32(ka, true)}:${arena.view.getUint32(va, true)}`); return 0; }), 8);
  t.is(seen.map((s) => s.split(':')[0]).join(','), '4,7,2,1,8,6,5,3');
  t.true(seen.every((s) => { const [k, v] = s.split(':').map(Number); return v === (k ?? 0) * 10; }));
});

test('percpu hash: syscall values are round_up(value_size, 8) per CPU; a new key from a program zeroes other CPUs', (t) => {
  const m = create({ type: PERCPU_HASH, value: 4, max: 4 });
  const k = place(arena, u32(1));
  t.is(m.updateElem(k, place(arena, u32(77)), BPF_ANY, 1), 0);
  const v = m.sysLookup(u32(1), 0);
  t.is(v.length, 16);
  t.deepEqual([rd32(v, 0), rd32(v, 8)], [0, 77]);
  t.is(errnoOf(() => { m.sysUpdate(u32(1), new Uint8Array(16), 4, {}); }), 'EINVAL', 'BPF_F_LOCK is refused');
  t.is(arena.view.getUint32(m.lookupElem(k, 1), true), 77);
});

/** The eviction scenario measured on the kernel: inserts with periodic lookups, a NOEXIST, then a second wave. */
function lruScenario(type: number, flags: number, max: number): { keys: string; errors: string } {
  const m = create({ type, value: 4, max, flags });
  const vs = type === LRU_PERCPU ? 16 : 4;
  const val = new Uint8Array(vs);
  const errs: string[] = [];
  const up = (k: number, f: number): void => { const e = errnoOf(() => { m.sysUpdate(u32(k), val, f, {}); }); if (e !== 'ok') errs.push(e); };
  for (let i = 1; i <= max + 5; i++) {
    up(i, BPF_ANY);
    if (i % 3 === 0) errnoOf(() => m.sysLookup(u32(1), 0));
  }
  errnoOf(() => { m.sysUpdate(u32(2), val, BPF_NOEXIST, {}); });
  for (let i = 100; i < 100 + max; i++) up(i, i % 2 === 1 ? BPF_ANY : BPF_NOEXIST);
  return { keys: order(m), errors: errs.join(',') };
}

test('lru hash (common LRU): evicts the keys the kernel evicts (measured)', (t) => {
  t.is(lruScenario(LRU, BPF_F_ZERO_SEED, 8).keys, '102,106,107,101,100,104,103,105');
  t.is(lruScenario(LRU, BPF_F_ZERO_SEED, 16).keys, '106,111,104,103,102,110,107,112,115,114,113,109,105,108');
  t.is(lruScenario(LRU_PERCPU, BPF_F_ZERO_SEED, 8).keys, '102,106,107,101,100,104,103,105');
});

test('lru hash with BPF_F_NO_COMMON_LRU: per-CPU lists evict as the kernel does (measured)', (t) => {
  t.is(lruScenario(LRU, BPF_F_ZERO_SEED | BPF_F_NO_COMMON_LRU, 8).keys, '106,107');
  t.is(lruScenario(LRU_PERCPU, BPF_F_ZERO_SEED | BPF_F_NO_COMMON_LRU, 8).keys, '106,107');
});

test('lru hash: never holds more than max_entries keys and never fails with E2BIG', (t) => {
  const m = create({ type: LRU, max: 10 });
  for (let k = 0; k < 200; k++) t.is(errnoOf(() => { m.sysUpdate(u32(k), u32(k), BPF_ANY, {}); }), 'ok');
  const n = keys(m).length;
  t.true(n > 0 && n <= 10);
  t.is(rd32(m.sysLookup(u32(199), 0)), 199, 'the newest key is there');
});

test('lru hash: a key programs keep looking up survives eviction', (t) => {
  const m = create({ type: LRU, max: 64 });
  const hot = place(arena, u32(0));
  m.updateElem(hot, hot, BPF_ANY, 0);
  for (let k = 1; k < 1000; k++) {
    m.sysUpdate(u32(k), u32(k), BPF_ANY, {});
    t.not(m.lookupElem(hot, 0), 0, `key 0 evicted at ${k}`);
  }
});

test('lru hash: program lookups set the ref bit, and evictions follow as on the kernel (measured with a socket filter)', (t) => {
  const measured: [number, number, number, string][] = [
    [LRU, BPF_F_ZERO_SEED, 8, '14,1,21,9,23,24,22,19'],
    [LRU, BPF_F_ZERO_SEED, 32, '87,81,74,90,69,89,93,92,86,39,85,82,9,24,79,44,29,83,64,95,94,88,49,19,59,96,14,84,1,91,54,34'],
    [LRU, BPF_F_ZERO_SEED | BPF_F_NO_COMMON_LRU, 8, '1,23,24'],
    [LRU_PERCPU, BPF_F_ZERO_SEED, 8, '14,1,21,9,23,24,22,19'],
    [LRU_PERCPU, BPF_F_ZERO_SEED | BPF_F_NO_COMMON_LRU, 16, '44,45,42,48,1,47,43,46'],
  ];
  const keyAddr = place(arena, u32(0));
  const progLookup = (m: BpfMap, k: number): void => { arena.view.setUint32(keyAddr, k, true); m.lookupElem(keyAddr, 0); };
  for (const [type, flags, max, expected] of measured) {
    const m = create({ type, value: 4, max, flags });
    const val = new Uint8Array(type === LRU_PERCPU ? 16 : 4);
    for (let i = 1; i <= max * 3; i++) {
      m.sysUpdate(u32(i), val, BPF_ANY, {});
      if (i % 2 === 0) progLookup(m, 1);
      if (i % 5 === 0) progLookup(m, i - 1);
    }
    t.is(order(m), expected, `type ${type} flags ${flags} max ${max}`);
  }
});

test('percpu hash: program updates write the running CPU and give the measured errnos', (t) => {
  const m = create({ type: PERCPU_HASH, value: 4, max: 2 });
  m.sysUpdate(u32(1), new Uint8Array(16).fill(0x33), BPF_ANY, {});
  const k = place(arena, u32(0));
  const v = place(arena, u32(0));
  const results = ([[1, 7, BPF_ANY], [2, 8, BPF_NOEXIST], [3, 9, BPF_ANY], [2, 5, BPF_NOEXIST], [4, 1, BPF_EXIST], [1, 2, 4]] as const).map(([key, value, flags]) => {
    arena.view.setUint32(k, key, true);
    arena.view.setUint32(v, value, true);
    return m.updateElem(k, v, flags, 0);
  });
  t.deepEqual(results, [0, 0, -7, -17, -2, -22]);
  t.is(Buffer.from(m.sysLookup(u32(1), 0)).toString('hex'), '07000000333333333333333333333333');
  t.is(Buffer.from(m.sysLookup(u32(2), 0)).toString('hex'), '08000000000000000000000000000000');
});

test('hash with a bpf_spin_lock: BPF_F_LOCK updates in place without the lock, plain updates make a new element with special fields zeroed', (t) => {
  const fields = [{ kind: 'bpf_spin_lock', offset: 0, size: 4 }, { kind: 'bpf_timer', offset: 8, size: 16 }];
  const m = create({ type: HASH, value: 32, max: 4, fields });
  const user = new Uint8Array(32).fill(0x22);
  t.is(errnoOf(() => { m.sysUpdate(u32(1), user, BPF_EXIST | 4, {}); }), 'ENOENT', 'BPF_F_LOCK keeps the flag checks');
  m.sysUpdate(u32(1), user, BPF_ANY, {});
  const k = place(arena, u32(1));
  const v = m.lookupElem(k, 0);
  t.is(arena.bytes[v], 0, 'the lock never comes from user space');
  t.is(arena.bytes[v + 8], 0, 'nor the timer');
  arena.bytes.fill(0x77, v + 8, v + 24);
  m.sysUpdate(u32(1), new Uint8Array(32).fill(0x33), 4, {});
  t.is(m.lookupElem(k, 0), v, 'in place');
  t.is(arena.bytes[v + 8], 0x77, 'the timer survives a locked update');
  t.is(arena.bytes[v + 4], 0x33);
  m.sysUpdate(u32(1), new Uint8Array(32).fill(0x44), BPF_ANY, {});
  const v2 = m.lookupElem(k, 0);
  t.not(v2, v, 'a plain update swaps in a new element, as the kernel does');
  t.is(arena.bytes[v2 + 8], 0);
  t.is(m.sysLookup(u32(1), 4)[4], 0x44);
  t.is(errnoOf(() => { create({ type: HASH, max: 1 }).sysUpdate(u32(1), u32(1), 4, {}); }), 'EINVAL', 'BPF_F_LOCK needs a spin lock');
});
