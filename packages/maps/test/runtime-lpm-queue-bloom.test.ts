import test from 'ava';
import { BPF_ANY, BPF_EXIST, BPF_F_NO_PREALLOC, BPF_F_ZERO_SEED, BPF_NOEXIST, BpfMapType } from '@bpfkit/uapi';
import { errnoOf, keys, machine, place, rd32, u32 } from './runtime-helpers.js';

const { arena, create } = machine();
const LPM = BpfMapType.BPF_MAP_TYPE_LPM_TRIE;

function lpmKey(prefixlen: number, ...data: number[]): Uint8Array {
  const k = new Uint8Array(8);
  new DataView(k.buffer).setUint32(0, prefixlen, true);
  k.set(data, 4);
  return k;
}
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The scenario measured on Linux 6.18. */
function lpmScenario(): { results: string[]; order: string[]; m: ReturnType<typeof create> } {
  const m = create({ type: LPM, key: 8, value: 4, max: 8, flags: BPF_F_NO_PREALLOC });
  const results: string[] = [];
  const prefixes: number[][] = [[24, 192, 168, 0, 0], [24, 192, 168, 1, 0], [24, 192, 168, 128, 0], [16, 192, 168, 0, 0], [8, 10, 0, 0, 0], [32, 10, 1, 2, 3], [0, 0, 0, 0, 0], [32, 192, 168, 1, 7], [25, 1, 1, 1, 1]];
  prefixes.forEach((p, i) => results.push(errnoOf(() => { m.sysUpdate(lpmKey(p[0] ?? 0, ...p.slice(1)), u32(i), BPF_ANY, {}); })));
  results.push(errnoOf(() => { m.sysUpdate(lpmKey(24, 192, 168, 1, 0), u32(99), BPF_NOEXIST, {}); }));
  results.push(errnoOf(() => { m.sysUpdate(lpmKey(23, 192, 168, 1, 0), u32(99), BPF_EXIST, {}); }));
  results.push(errnoOf(() => { m.sysUpdate(lpmKey(33), u32(1), BPF_ANY, {}); }));
  return { results, order: keys(m).map(hex), m };
}

test('lpm trie: update errnos as measured (ENOSPC when full, EEXIST, ENOENT, EINVAL prefix)', (t) => {
  t.deepEqual(lpmScenario().results, ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ENOSPC', 'EEXIST', 'ENOENT', 'EINVAL']);
});

test('lpm trie: get_next_key walks in the kernel post-order (measured)', (t) => {
  t.deepEqual(lpmScenario().order, ['200000000a010203', '080000000a000000', '18000000c0a80000', '20000000c0a80107', '18000000c0a80100', '18000000c0a88000', '10000000c0a80000', '0000000000000000']);
});

test('lpm trie: lookups find the longest prefix (measured)', (t) => {
  const { m } = lpmScenario();
  const got = [[32, 192, 168, 1, 9], [32, 192, 168, 2, 1], [32, 10, 1, 2, 3], [32, 10, 9, 9, 9], [32, 11, 0, 0, 0], [16, 192, 168, 1, 1]]
    .map((q) => rd32(m.sysLookup(lpmKey(q[0] ?? 0, ...q.slice(1)), 0)));
  t.deepEqual(got, [1, 3, 5, 4, 6, 3]);
  const k = place(arena, lpmKey(32, 192, 168, 1, 9));
  t.is(arena.view.getUint32(m.lookupElem(k, 0), true), 1);
});

test('lpm trie: delete of a missing prefix is ENOENT, a too long prefix EINVAL, and the order follows (measured)', (t) => {
  const { m } = lpmScenario();
  const r = [lpmKey(16, 192, 168, 0, 0), lpmKey(16, 192, 168, 0, 0), lpmKey(24, 192, 168, 128, 0), lpmKey(20, 192, 168, 0, 0), lpmKey(40)]
    .map((k) => errnoOf(() => { m.sysDelete(k); }));
  t.deepEqual(r, ['ok', 'ENOENT', 'ok', 'ENOENT', 'EINVAL']);
  t.deepEqual(keys(m).map(hex), ['200000000a010203', '080000000a000000', '18000000c0a80000', '20000000c0a80107', '18000000c0a80100', '0000000000000000']);
  t.is(hex(m.sysGetNextKey(lpmKey(16, 192, 168, 0, 0))), '200000000a010203', 'a missing key restarts at the leftmost');
});

for (const [name, type, popped] of [['queue', BpfMapType.BPF_MAP_TYPE_QUEUE, [2, 3, 5]], ['stack', BpfMapType.BPF_MAP_TYPE_STACK, [5, 3, 2]]] as const) {
  test(`${name}: measured errnos and order (BPF_EXIST push drops the oldest)`, (t) => {
    const m = create({ type, key: 0, value: 4, max: 3 });
    const e = new Uint8Array(0);
    const r = [errnoOf(() => m.sysLookup(e, 0)), errnoOf(() => m.sysLookupAndDelete(e, 0)), errnoOf(() => { m.sysDelete(e); }), errnoOf(() => m.sysGetNextKey(undefined))];
    for (let i = 1; i <= 4; i++) r.push(errnoOf(() => { m.sysUpdate(e, u32(i), BPF_ANY, {}); }));
    r.push(errnoOf(() => { m.sysUpdate(e, u32(5), BPF_EXIST, {}); }), errnoOf(() => { m.sysUpdate(e, u32(6), BPF_NOEXIST, {}); }), errnoOf(() => { m.sysUpdate(e, u32(6), 3, {}); }));
    t.deepEqual(r, ['ENOENT', 'ENOENT', 'EINVAL', 'EINVAL', 'ok', 'ok', 'ok', 'E2BIG', 'ok', 'EINVAL', 'EINVAL']);
    t.is(rd32(m.sysLookup(e, 0)), popped[0], 'lookup peeks');
    t.deepEqual([0, 1, 2].map(() => rd32(m.sysLookupAndDelete(undefined, 0))), [...popped]);
    t.is(errnoOf(() => m.sysLookupAndDelete(undefined, 0)), 'ENOENT');
    t.is(errnoOf(() => m.sysLookupAndDelete(undefined, 4)), 'EINVAL');
  });

  test(`${name}: programs push, pop and peek through the arena; an empty pop zeroes the destination`, (t) => {
    const m = create({ type, key: 0, value: 4, max: 2 });
    const v = place(arena, u32(7));
    t.is(m.pushElem(v, BPF_ANY), 0);
    arena.view.setUint32(v, 0xffff, true);
    t.is(m.peekElem(v), 0);
    t.is(arena.view.getUint32(v, true), 7);
    t.is(m.popElem(v), 0);
    arena.view.setUint32(v, 0xffff, true);
    t.is(m.popElem(v), -2);
    t.is(arena.view.getUint32(v, true), 0);
    t.is(m.lookupElem(v, 0), 0);
    t.is(m.updateElem(v, v, 0, 0), -22);
  });
}

test('bloom filter: measured membership with BPF_F_ZERO_SEED (the kernel hash functions, false positives included)', (t) => {
  const cases: [bigint, number, string][] = [[0n, 4, '0,3,6,190'], [3n, 5, '0,3,6,64,182'], [1n, 8, '0,1,3,6,9,10,14,18,43,50,73,75,82,96,104,116,119,130,136,137,144,149,154,178']];
  for (const [extra, vsz, expected] of cases) {
    const m = create({ type: BpfMapType.BPF_MAP_TYPE_BLOOM_FILTER, key: 0, value: vsz, max: 4, flags: BPF_F_ZERO_SEED, extra });
    for (let i = 0; i < 6; i++) { const v = new Uint8Array(vsz); v[0] = i * 3; m.sysUpdate(new Uint8Array(0), v, BPF_ANY, {}); }
    const members: number[] = [];
    for (let i = 0; i < 200; i++) {
      const v = new Uint8Array(vsz);
      v[0] = i;
      v[vsz - 1] = (v[vsz - 1] ?? 0) ^ (i >> 3);
      if (errnoOf(() => m.sysLookup(v, 0)) === 'ok') members.push(i);
    }
    t.is(members.join(','), expected, `map_extra ${extra}, value_size ${vsz}`);
  }
});

test('bloom filter: push takes only BPF_ANY; delete and get_next_key are EOPNOTSUPP', (t) => {
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_BLOOM_FILTER, key: 0, value: 4, max: 4 });
  const e = new Uint8Array(0);
  t.is(errnoOf(() => { m.sysUpdate(e, u32(1), BPF_NOEXIST, {}); }), 'EINVAL');
  t.is(errnoOf(() => { m.sysDelete(e); }), 'EOPNOTSUPP');
  t.is(errnoOf(() => m.sysGetNextKey(undefined)), 'EOPNOTSUPP');
  const v = place(arena, u32(1234));
  t.is(m.peekElem(v), -2);
  t.is(m.pushElem(v, BPF_ANY), 0);
  t.is(m.peekElem(v), 0);
  t.is(m.popElem(v), -95);
});
