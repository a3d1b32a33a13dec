import test from 'ava';
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_MMAPABLE, BPF_NOEXIST, BpfMapType } from '@bpfkit/uapi';
import { errnoOf, keys, machine, place, rd32, u32 } from './runtime-helpers.js';

const { arena, create } = machine();
const ARRAY = BpfMapType.BPF_MAP_TYPE_ARRAY;
const PERCPU = BpfMapType.BPF_MAP_TYPE_PERCPU_ARRAY;

test('array: a lookup returns the value itself, so a program store changes the map', (t) => {
  const m = create({ type: ARRAY, value: 8, max: 4 });
  const addr = m.lookupElem(place(arena, u32(2)), 0);
  t.not(addr, 0);
  arena.view.setUint32(addr, 0xabcd, true);
  t.is(rd32(m.sysLookup(u32(2), 0)), 0xabcd);
});

test('array: a lookup past max_entries gives 0 from a program and ENOENT from a syscall', (t) => {
  const m = create({ type: ARRAY, max: 4 });
  t.is(m.lookupElem(place(arena, u32(4)), 0), 0);
  t.is(errnoOf(() => m.sysLookup(u32(4), 0)), 'ENOENT');
});

test('array: update rules are EINVAL flags, E2BIG index, EEXIST for BPF_NOEXIST', (t) => {
  const m = create({ type: ARRAY, max: 4 });
  t.is(errnoOf(() => { m.sysUpdate(u32(0), u32(1), 3, {}); }), 'EINVAL');
  t.is(errnoOf(() => { m.sysUpdate(u32(4), u32(1), BPF_ANY, {}); }), 'E2BIG');
  t.is(errnoOf(() => { m.sysUpdate(u32(0), u32(1), BPF_NOEXIST, {}); }), 'EEXIST');
  t.is(errnoOf(() => { m.sysUpdate(u32(0), u32(1), BPF_EXIST, {}); }), 'ok');
  t.is(errnoOf(() => { m.sysUpdate(u32(0), u32(1), BPF_F_LOCK, {}); }), 'EINVAL');
  t.is(m.updateElem(place(arena, u32(9)), place(arena, u32(1)), BPF_ANY, 0), -7);
});

test('array: delete is EINVAL', (t) => {
  const m = create({ type: ARRAY });
  t.is(errnoOf(() => { m.sysDelete(u32(0)); }), 'EINVAL');
  t.is(m.deleteElem(place(arena, u32(0)), 0), -22);
});

test('array: get_next_key walks in index order, restarts at 0 for a missing key, ENOENT after the last', (t) => {
  const m = create({ type: ARRAY, max: 3 });
  t.deepEqual(keys(m).map((k) => rd32(k)), [0, 1, 2]);
  t.is(rd32(m.sysGetNextKey(u32(77))), 0);
  t.is(errnoOf(() => m.sysGetNextKey(u32(2))), 'ENOENT');
});

test('array: BPF_F_MMAPABLE values start on a page and span whole pages', (t) => {
  const m = create({ type: ARRAY, value: 12, max: 3, flags: BPF_F_MMAPABLE });
  t.truthy(m.mmapRegion);
  t.is((m.mmapRegion?.addr ?? 1) % 4096, 0);
  t.is(m.mmapRegion?.size, 4096);
  t.is(m.lookupElem(place(arena, u32(1)), 0), (m.mmapRegion?.addr ?? 0) + 16);
});

test('array: direct value access needs one entry and an offset inside the value', (t) => {
  const one = create({ type: ARRAY, value: 16, max: 1 });
  t.is(one.directValueAddr?.(4), one.lookupElem(place(arena, u32(0)), 0) + 4);
  t.is(errnoOf(() => one.directValueAddr?.(16)), 'EINVAL');
  t.is(errnoOf(() => create({ type: ARRAY, max: 2 }).directValueAddr?.(0)), 'ENOTSUPP');
});

test('array: for_each visits every index with its key until the callback says stop', (t) => {
  const m = create({ type: ARRAY, max: 5 });
  const seen: number[] = [];
  const n = m.forEachElem(0, (k) => { seen.push(arena.view.getUint32(k, true)); return seen.length === 3 ? 1 : 0; });
  t.is(n, 3);
  t.deepEqual(seen, [0, 1, 2]);
});

test('percpu array: each CPU has its own value; the syscall copies round_up(value_size, 8) per possible CPU', (t) => {
  const m = create({ type: PERCPU, value: 4, max: 2 });
  const key = place(arena, u32(1));
  arena.view.setUint32(m.lookupElem(key, 0), 10, true);
  arena.view.setUint32(m.lookupElem(key, 1), 11, true);
  const v = m.sysLookup(u32(1), 0);
  t.is(v.length, 16);
  t.is(rd32(v, 0), 10);
  t.is(rd32(v, 8), 11);
  const both = new Uint8Array(16);
  both.set(u32(7), 0);
  both.set(u32(8), 8);
  m.sysUpdate(u32(0), both, BPF_ANY, {});
  t.is(arena.view.getUint32(m.lookupElem(place(arena, u32(0)), 1), true), 8);
});

test('percpu array: a program update writes only its CPU; BPF_F_LOCK is EINVAL', (t) => {
  const m = create({ type: PERCPU, value: 8, max: 1 });
  t.is(m.updateElem(place(arena, u32(0)), place(arena, u32(5)), BPF_ANY, 1), 0);
  const v = m.sysLookup(u32(0), 0);
  t.deepEqual([rd32(v, 0), rd32(v, 8)], [0, 5]);
  t.is(errnoOf(() => { m.sysUpdate(u32(0), new Uint8Array(16), BPF_F_LOCK, {}); }), 'EINVAL');
});

test('BPF_F_LOCK updates copy everything but the lock and keep timers; plain updates zero special fields', (t) => {
  const fields = [{ kind: 'bpf_spin_lock', offset: 0, size: 4 }, { kind: 'bpf_timer', offset: 8, size: 16 }];
  const m = create({ type: ARRAY, value: 32, max: 1, fields });
  const val = m.lookupElem(place(arena, u32(0)), 0);
  arena.bytes.fill(0xee, val, val + 32);
  const user = new Uint8Array(32).fill(0x11);
  m.sysUpdate(u32(0), user, BPF_F_LOCK, {});
  t.is(arena.bytes[val], 0xee, 'the lock is untouched');
  t.is(arena.bytes[val + 8], 0xee, 'the timer is kept');
  t.is(arena.bytes[val + 4], 0x11);
  t.is(arena.bytes[val + 24], 0x11);
  m.sysUpdate(u32(0), user, BPF_ANY, {});
  t.is(arena.bytes[val + 8], 0, 'bpf_obj_free_fields zeroed the timer');
  const out = m.sysLookup(u32(0), BPF_F_LOCK);
  t.is(out[0], 0, 'user space never sees the lock');
  t.is(out[4], 0x11);
});
