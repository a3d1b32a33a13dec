import test from 'ava';
import type { MapSyscallContext, PerfEventOutput } from '@bpfkit/kernel-api';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, BpfMapType } from '@bpfkit/uapi';
import { CgroupStorageMap, LocalStorageMap, RingbufMap, StackTraceMap } from '@bpfkit/maps';
import { errnoOf, fdTable, keys, machine, place, rd32, u32, u64 } from './runtime-helpers.js';

const { arena, create } = machine();

test('ringbuf: reserve, submit and consume in order; discarded samples are skipped', (t) => {
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_RINGBUF, key: 0, value: 0, max: 4096 });
  const rb = m.ringbuf;
  if (rb === undefined) return t.fail('no ringbuf ops');
  const a = rb.reserve(5, 0);
  const b = rb.reserve(8, 0);
  t.not(a, 0);
  t.is(b - a, 16, '8-byte header, samples rounded up to 8');
  arena.bytes.set([1, 2, 3, 4, 5], a);
  t.is(arena.view.getUint32(a - 8, true), (5 | 0x8000_0000) >>> 0, 'the busy bit is set until commit');
  rb.discard(b, 0);
  const seen: number[][] = [];
  t.is(rb.consume((s) => seen.push([...s])), 0, 'an uncommitted first sample blocks the consumer');
  rb.submit(a, 0);
  t.is(rb.consume((s) => seen.push([...s])), 1);
  t.deepEqual(seen, [[1, 2, 3, 4, 5]]);
  t.is(rb.query(0), 0n, 'BPF_RB_AVAIL_DATA');
  t.is(rb.query(1), 4096n, 'BPF_RB_RING_SIZE');
  t.is(rb.query(2), rb.query(3), 'consumer caught up with producer');
});

test('ringbuf: reserve fails when the ring is full, output gives -EAGAIN, bad flags are refused', (t) => {
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_RINGBUF, key: 0, value: 0, max: 4096 });
  const rb = m.ringbuf;
  if (rb === undefined) return t.fail('no ringbuf ops');
  t.is(rb.reserve(8, 1), 0, 'reserve takes no flags');
  t.is(rb.reserve(4096, 0), 0, 'a sample as big as the ring never fits');
  const big = rb.reserve(4000, 0);
  t.not(big, 0);
  t.is(rb.reserve(200, 0), 0);
  const data = place(arena, new Uint8Array(200));
  t.is(rb.output(data, 200, 0), -11);
  t.is(rb.output(data, 8, 4), -22);
  rb.submit(big, 0);
  t.is(rb.consume(() => undefined), 1);
  t.is(rb.output(data, 200, 2), 0, 'space is back after consuming (and the data wraps)');
  const out: Uint8Array[] = [];
  rb.consume((s) => out.push(s));
  t.is(out[0]?.length, 200);
});

test('ringbuf and user_ringbuf: element commands are ENOTSUPP', (t) => {
  for (const type of [BpfMapType.BPF_MAP_TYPE_RINGBUF, BpfMapType.BPF_MAP_TYPE_USER_RINGBUF]) {
    const m = create({ type, key: 0, value: 0, max: 4096 });
    const e = new Uint8Array(0);
    t.deepEqual([errnoOf(() => m.sysLookup(e, 0)), errnoOf(() => { m.sysUpdate(e, e, 0, {}); }), errnoOf(() => { m.sysDelete(e); }), errnoOf(() => m.sysGetNextKey(undefined)), errnoOf(() => m.sysLookupAndDelete(e, 0))],
      ['ENOTSUPP', 'ENOTSUPP', 'ENOTSUPP', 'ENOTSUPP', 'ENOTSUPP']);
  }
});

test('perf event array: output checks the slot, the event kind and its CPU, then writes to the event', (t) => {
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY, max: 2 });
  const pe = m.perfEvents;
  if (pe === undefined) return t.fail('no perf event ops');
  const written: number[][] = [];
  const events: PerfEventOutput[] = [
    { bpfOutput: true, oncpu: 0, outputRaw: (raw) => (written.push([...raw]), written.length > 2 ? -28 : 0) },
    { bpfOutput: false, oncpu: 1, outputRaw: () => 0 },
  ];
  let puts = 0;
  const ctx: MapSyscallContext = { fds: { resolve: (fd) => ({ id: fd, target: events[fd], put: () => { puts++; } }) } };
  const data = place(arena, new Uint8Array([9, 8, 7]));
  t.is(pe.output(0, 5, data, 3), -7, 'index past max_entries');
  t.is(pe.output(0, 0, data, 3), -2, 'no event in the slot');
  m.sysUpdate(u32(0), u32(0), BPF_ANY, ctx);
  m.sysUpdate(u32(1), u32(1), BPF_ANY, ctx);
  t.is(pe.output(1, 0, data, 3), -95, 'the event is on another CPU');
  t.is(pe.output(1, 1, data, 3), -22, 'not a BPF output event');
  t.is(pe.output(0, 0, data, 3), 0);
  t.is(pe.output(0, 0, data, 2), 0);
  t.is(pe.output(0, 0, data, 1), -28, 'the event\'s -ENOSPC comes back');
  t.deepEqual(written, [[9, 8, 7], [9, 8], [9]]);
  t.is(errnoOf(() => m.sysLookup(u32(0), 0)), 'ENOTSUPP');
  m.sysDelete(u32(0));
  t.is(puts, 1, 'delete drops the slot reference');
  t.is(pe.output(0, 0, data, 3), -2);
});

test('prog array: syscall lookup gives the prog id, slots drop their reference on overwrite, delete and release', (t) => {
  const { ctx, live } = fdTable();
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_PROG_ARRAY, max: 4 });
  t.is(errnoOf(() => { m.sysUpdate(u32(0), u32(3), BPF_NOEXIST, ctx); }), 'EINVAL', 'BPF_ANY only');
  t.is(errnoOf(() => { m.sysUpdate(u32(4), u32(3), BPF_ANY, ctx); }), 'E2BIG');
  t.is(errnoOf(() => { m.sysUpdate(u32(0), u32(9999), BPF_ANY, ctx); }), 'EBADF');
  m.sysUpdate(u32(0), u32(3), BPF_ANY, ctx);
  t.is(rd32(m.sysLookup(u32(0), 0)), 103);
  t.is(m.slots?.at(0)?.id, 103);
  m.sysUpdate(u32(0), u32(4), BPF_ANY, ctx);
  t.is(live(), 1);
  t.is(errnoOf(() => m.sysLookup(u32(1), 0)), 'ENOENT');
  t.is(errnoOf(() => { m.sysDelete(u32(1)); }), 'ENOENT');
  t.is(errnoOf(() => { m.sysDelete(u32(9)); }), 'E2BIG');
  m.sysUpdate(u32(2), u32(5), BPF_ANY, ctx);
  m.sysDelete(u32(0));
  t.is(live(), 1);
  t.is(m.slots?.at(0), undefined);
  m.release();
  t.is(live(), 0);
  t.is(errnoOf(() => m.sysLookupAndDelete(u32(0), 0)), 'ENOTSUPP');
});

test('perf event and cgroup arrays: the syscall lookup is ENOTSUPP', (t) => {
  const { ctx } = fdTable();
  for (const type of [BpfMapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY, BpfMapType.BPF_MAP_TYPE_CGROUP_ARRAY]) {
    const m = create({ type, max: 2 });
    m.sysUpdate(u32(0), u32(1), BPF_ANY, ctx);
    t.is(errnoOf(() => m.sysLookup(u32(0), 0)), 'ENOTSUPP');
    t.is(errnoOf(() => m.sysLookup(u32(1), 0)), 'ENOTSUPP');
  }
});

test('array of maps: a program lookup returns the inner map address, the syscall its id', (t) => {
  const { ctx, live } = fdTable();
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_ARRAY_OF_MAPS, max: 2 });
  m.sysUpdate(u32(1), u32(7), BPF_ANY, ctx);
  t.is(m.lookupElem(place(arena, u32(1)), 0), 0x5007);
  t.is(m.lookupElem(place(arena, u32(0)), 0), 0);
  t.is(rd32(m.sysLookup(u32(1), 0)), 107);
  m.release();
  t.is(live(), 0);
});

test('hash of maps: hash rules with inner maps, references dropped on overwrite and release', (t) => {
  const { ctx, live } = fdTable();
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_HASH_OF_MAPS, max: 2 });
  m.sysUpdate(u32(10), u32(1), BPF_ANY, ctx);
  m.sysUpdate(u32(11), u32(2), BPF_ANY, ctx);
  t.is(errnoOf(() => { m.sysUpdate(u32(12), u32(3), BPF_ANY, ctx); }), 'E2BIG');
  t.is(live(), 2, 'the refused update dropped its reference');
  m.sysUpdate(u32(10), u32(4), BPF_EXIST, ctx);
  t.is(live(), 2);
  t.is(rd32(m.sysLookup(u32(10), 0)), 104);
  t.is(m.lookupElem(place(arena, u32(10)), 0), 0x5004);
  t.is(keys(m).length, 2);
  m.sysDelete(u32(11));
  t.is(live(), 1);
  m.release();
  t.is(live(), 0);
});

test('devmap: values {ifindex, prog id}; ifindex 0 empties the slot; unknown devices are EINVAL (measured)', (t) => {
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_DEVMAP, value: 8, max: 4 });
  const v = (ifindex: number, fd: number): Uint8Array => { const b = new Uint8Array(8); b.set(u32(ifindex)); b.set(u32(fd >>> 0), 4); return b; };
  const r = [errnoOf(() => { m.sysUpdate(u32(0), v(1, 0), BPF_ANY, {}); }), Buffer.from(m.sysLookup(u32(0), 0)).toString('hex'),
    errnoOf(() => { m.sysUpdate(u32(1), v(999, 0), BPF_ANY, {}); }), errnoOf(() => { m.sysUpdate(u32(1), v(0, 5), BPF_ANY, {}); }),
    errnoOf(() => { m.sysUpdate(u32(1), v(0, 0), BPF_ANY, {}); }), errnoOf(() => m.sysLookup(u32(1), 0)),
    errnoOf(() => { m.sysUpdate(u32(2), v(1, 9999), BPF_ANY, {}); }), errnoOf(() => { m.sysDelete(u32(0)); }), errnoOf(() => { m.sysDelete(u32(0)); }),
    errnoOf(() => { m.sysUpdate(u32(0), v(1, 0), BPF_NOEXIST, {}); }), errnoOf(() => { m.sysUpdate(u32(9), v(1, 0), BPF_ANY, {}); }), errnoOf(() => { m.sysDelete(u32(9)); })];
  t.deepEqual(r, ['ok', '0100000000000000', 'EINVAL', 'EINVAL', 'ok', 'ENOENT', 'EINVAL', 'ok', 'ok', 'EEXIST', 'E2BIG', 'EINVAL']);
});

test('devmap hash: BPF_EXIST adds a missing key, E2BIG when full, walk in key-bucket order (measured)', (t) => {
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_DEVMAP_HASH, value: 8, max: 2 });
  const v = (ifindex: number): Uint8Array => { const b = new Uint8Array(8); b.set(u32(ifindex)); return b; };
  const r = [errnoOf(() => { m.sysUpdate(u32(7), v(1), BPF_EXIST, {}); }), errnoOf(() => { m.sysUpdate(u32(8), v(1), BPF_ANY, {}); }),
    errnoOf(() => { m.sysUpdate(u32(9), v(1), BPF_ANY, {}); }), errnoOf(() => { m.sysUpdate(u32(7), v(1), BPF_NOEXIST, {}); }),
    errnoOf(() => { m.sysUpdate(u32(9), v(0), BPF_ANY, {}); }), keys(m).map((k) => rd32(k)).join(','),
    errnoOf(() => m.sysGetNextKey(u32(7))), errnoOf(() => { m.sysDelete(u32(9)); }), errnoOf(() => { m.sysDelete(u32(7)); })];
  t.deepEqual(r, ['ok', 'ok', 'E2BIG', 'EEXIST', 'EINVAL', '8,7', 'ENOENT', 'ENOENT', 'ok']);
});

test('cpumap: qsize limits, possible CPUs, qsize 0 deletes (measured)', (t) => {
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_CPUMAP, value: 8, max: 4 });
  const v = (q: number, fd: number): Uint8Array => { const b = new Uint8Array(8); b.set(u32(q)); b.set(u32(fd), 4); return b; };
  const r = [errnoOf(() => { m.sysUpdate(u32(0), v(64, 0), BPF_ANY, {}); }), Buffer.from(m.sysLookup(u32(0), 0)).toString('hex'),
    errnoOf(() => { m.sysUpdate(u32(3), v(64, 0), BPF_ANY, {}); }), errnoOf(() => { m.sysUpdate(u32(1), v(20000, 0), BPF_ANY, {}); }),
    errnoOf(() => { m.sysUpdate(u32(1), v(0, 0), BPF_ANY, {}); }), errnoOf(() => m.sysLookup(u32(1), 0)),
    errnoOf(() => { m.sysUpdate(u32(1), v(64, 9999), BPF_ANY, {}); }), errnoOf(() => { m.sysDelete(u32(0)); }), errnoOf(() => { m.sysDelete(u32(0)); }), errnoOf(() => { m.sysDelete(u32(9)); })];
  t.deepEqual(r, ['ok', '4000000000000000', 'ENODEV', 'EOVERFLOW', 'ok', 'ENOENT', 'ENOMEM', 'ok', 'ok', 'EINVAL']);
});

test('socket maps: fds resolve through the kernel; lookups and deletes give the measured errnos', (t) => {
  const { ctx } = fdTable();
  const sockmap = create({ type: BpfMapType.BPF_MAP_TYPE_SOCKMAP, value: 8, max: 4 });
  t.deepEqual([errnoOf(() => sockmap.sysLookup(u32(0), 0)), errnoOf(() => { sockmap.sysDelete(u32(0)); }), errnoOf(() => { sockmap.sysUpdate(u32(0), u64(9999), BPF_ANY, ctx); }), errnoOf(() => { sockmap.sysUpdate(u32(0), u64(2 ** 33), BPF_ANY, ctx); })],
    ['ENOENT', 'EINVAL', 'EBADF', 'EINVAL']);
  sockmap.sysUpdate(u32(0), u64(3), BPF_ANY, ctx);
  t.is(rd32(sockmap.sysLookup(u32(0), 0)), 103, 'the cookie');
  t.is(errnoOf(() => create({ type: BpfMapType.BPF_MAP_TYPE_SOCKMAP, value: 4, max: 1 }).sysLookup(u32(0), 0)), 'ENOSPC');
  const xsk = create({ type: BpfMapType.BPF_MAP_TYPE_XSKMAP, value: 4, max: 4 });
  t.deepEqual([errnoOf(() => xsk.sysLookup(u32(0), 0)), errnoOf(() => { xsk.sysUpdate(u32(9), u32(9999), BPF_ANY, ctx); }), errnoOf(() => { xsk.sysUpdate(u32(0), u32(9999), 4, ctx); }), errnoOf(() => { xsk.sysDelete(u32(0)); }), errnoOf(() => { xsk.sysDelete(u32(9)); })],
    ['EOPNOTSUPP', 'E2BIG', 'EINVAL', 'ok', 'EINVAL']);
  const sockhash = create({ type: BpfMapType.BPF_MAP_TYPE_SOCKHASH, value: 8, max: 4 });
  t.deepEqual([errnoOf(() => sockhash.sysLookup(u32(0), 0)), errnoOf(() => { sockhash.sysDelete(u32(0)); }), errnoOf(() => sockhash.sysGetNextKey(undefined))], ['ENOENT', 'ENOENT', 'ENOENT']);
  const reuse = create({ type: BpfMapType.BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, value: 8, max: 4 });
  t.deepEqual([errnoOf(() => reuse.sysLookup(u32(0), 0)), errnoOf(() => { reuse.sysDelete(u32(0)); }), errnoOf(() => { reuse.sysDelete(u32(9)); }), errnoOf(() => { reuse.sysUpdate(u32(9), u64(1), BPF_ANY, ctx); })],
    ['ENOENT', 'ENOENT', 'E2BIG', 'E2BIG']);
});

test('stack trace, cgroup storage, local storage, struct_ops and arena: the kernel errnos of their commands', (t) => {
  const st = create({ type: BpfMapType.BPF_MAP_TYPE_STACK_TRACE, value: 64, max: 4 });
  t.deepEqual([errnoOf(() => st.sysLookup(u32(0), 0)), errnoOf(() => { st.sysUpdate(u32(0), new Uint8Array(64), BPF_ANY, {}); }), errnoOf(() => { st.sysDelete(u32(0)); }), errnoOf(() => { st.sysDelete(u32(1000)); }), errnoOf(() => st.sysGetNextKey(undefined)), errnoOf(() => st.sysLookupAndDelete(u32(0), 0))],
    ['ENOENT', 'EINVAL', 'ENOENT', 'E2BIG', 'ENOENT', 'ENOENT']);
  for (const type of [BpfMapType.BPF_MAP_TYPE_CGROUP_STORAGE, BpfMapType.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE]) {
    const cs = create({ type, key: 16, value: 8, max: 0 });
    const k = new Uint8Array(16);
    t.deepEqual([errnoOf(() => cs.sysLookup(k, 0)), errnoOf(() => { cs.sysUpdate(k, new Uint8Array(16), BPF_ANY, {}); }), errnoOf(() => { cs.sysUpdate(k, new Uint8Array(16), BPF_NOEXIST, {}); }), errnoOf(() => { cs.sysDelete(k); }), errnoOf(() => cs.sysGetNextKey(undefined))],
      ['ENOENT', 'ENOENT', 'EINVAL', 'EINVAL', 'ENOENT']);
  }
  const { ctx } = fdTable();
  const sk = create({ type: BpfMapType.BPF_MAP_TYPE_SK_STORAGE, value: 8, max: 0 });
  t.is(errnoOf(() => sk.sysLookup(u32(5), 0)), 'EBADF');
  t.is(errnoOf(() => sk.sysGetNextKey(undefined)), 'ENOTSUPP');
  sk.sysUpdate(u32(5), u64(42), BPF_ANY, ctx);
  t.is(rd32(sk.sysLookup(u32(5), 0)), 42);
  t.is(errnoOf(() => { sk.sysUpdate(u32(5), u64(1), BPF_NOEXIST, ctx); }), 'EEXIST');
  const so = create({ type: BpfMapType.BPF_MAP_TYPE_STRUCT_OPS, value: 16, max: 1 });
  t.deepEqual([...so.sysLookup(u32(0), 0)], new Array<number>(16).fill(0));
  t.deepEqual([errnoOf(() => { so.sysUpdate(u32(0), new Uint8Array(16), 1, {}); }), errnoOf(() => { so.sysUpdate(u32(1), new Uint8Array(16), 0, {}); }), errnoOf(() => { so.sysDelete(u32(0)); }), errnoOf(() => so.sysGetNextKey(u32(0)))],
    ['EINVAL', 'E2BIG', 'ENOENT', 'ENOENT']);
  so.sysUpdate(u32(0), new Uint8Array(16).fill(1), 0, {});
  t.is(errnoOf(() => { so.sysUpdate(u32(0), new Uint8Array(16), 0, {}); }), 'EBUSY');
  t.is(so.lookupElem(place(arena, u32(0)), 0), 0);
  const ar = create({ type: BpfMapType.BPF_MAP_TYPE_ARENA, key: 0, value: 0, max: 1, flags: 1024 });
  t.deepEqual([errnoOf(() => ar.sysLookup(new Uint8Array(0), 0)), errnoOf(() => { ar.sysUpdate(new Uint8Array(0), new Uint8Array(0), 0, {}); }), errnoOf(() => ar.sysGetNextKey(undefined))], ['EINVAL', 'EOPNOTSUPP', 'EOPNOTSUPP']);
});

test('ringbuf: BPF_RB_NO_WAKEUP and BPF_RB_FORCE_WAKEUP change whether the consumer is woken', (t) => {
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_RINGBUF, key: 0, value: 0, max: 4096 });
  const rb = m.ringbuf;
  const ringbuf = m instanceof RingbufMap ? m : undefined;
  if (ringbuf === undefined || rb === undefined) return t.fail('not a ringbuf');
  rb.submit(rb.reserve(8, 0), 0);
  t.is(ringbuf.wakeups, 1, 'the first sample after the consumer wakes it');
  rb.submit(rb.reserve(8, 0), 0);
  t.is(ringbuf.wakeups, 1, 'later samples do not');
  rb.submit(rb.reserve(8, 0), 2);
  t.is(ringbuf.wakeups, 2, 'BPF_RB_FORCE_WAKEUP always does');
  rb.consume(() => undefined);
  rb.submit(rb.reserve(8, 0), 1);
  t.is(ringbuf.wakeups, 2, 'BPF_RB_NO_WAKEUP never does');
  t.is(arena.view.getUint32(ringbuf.mmapRegion.addr + 4096, true), Number(rb.query(3)), 'the producer page shows producer_pos');
});

test('local storage of every kind: fds resolve on update, EBADF for fds without storage, programs get and delete by owner', (t) => {
  const { ctx } = fdTable();
  for (const type of [BpfMapType.BPF_MAP_TYPE_SK_STORAGE, BpfMapType.BPF_MAP_TYPE_INODE_STORAGE, BpfMapType.BPF_MAP_TYPE_TASK_STORAGE, BpfMapType.BPF_MAP_TYPE_CGRP_STORAGE]) {
    const m = create({ type, value: 8, max: 0 });
    const ls = m instanceof LocalStorageMap ? m : undefined;
    if (ls === undefined) return t.fail('not a local storage map');
    t.is(errnoOf(() => { m.sysUpdate(u32(9999), u64(1), BPF_ANY, ctx); }), 'EBADF');
    t.is(errnoOf(() => { m.sysUpdate(u32(4), u64(1), BPF_EXIST, ctx); }), 'ENOENT');
    m.sysUpdate(u32(4), u64(5), BPF_ANY, ctx);
    const v = ls.get(104, false);
    t.is(arena.view.getUint32(v, true), 5, 'the owner behind fd 4 sees the value');
    t.is(ls.get(200, false), 0);
    const fresh = ls.get(200, true);
    t.not(fresh, 0);
    t.is(ls.delete(200), 0);
    t.is(ls.delete(200), -2);
    m.sysDelete(u32(4));
    t.is(errnoOf(() => m.sysLookup(u32(4), 0)), 'EBADF');
    m.release();
  }
});

test('cgroup storage: attach creates the storage; per-CPU storage has a value per CPU; walk in creation order', (t) => {
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE, key: 8, value: 4, max: 0 });
  const cs = m instanceof CgroupStorageMap ? m : undefined;
  if (cs === undefined) return t.fail('not a cgroup storage map');
  const addr = cs.attach(u64(7));
  cs.attach(u64(3));
  t.is(cs.attach(u64(7)), addr, 'attaching again shares the storage');
  arena.view.setUint32(addr + 8, 42, true);
  t.is(rd32(m.sysLookup(u64(7), 0), 8), 42, 'CPU 1 value, 8 bytes after CPU 0');
  m.sysUpdate(u64(3), new Uint8Array(16).fill(1), BPF_EXIST, {});
  t.deepEqual(keys(m).map((k) => rd32(k)), [7, 3]);
  t.is(errnoOf(() => m.sysGetNextKey(u64(99))), 'ENOENT', 'a missing key does not restart');
});

test('stack trace: stored traces read back zero-padded, walk by id, lookup-and-delete removes', (t) => {
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_STACK_TRACE, value: 32, max: 3 });
  const st = m instanceof StackTraceMap ? m : undefined;
  if (st === undefined) return t.fail('not a stack trace map');
  st.store(2, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  st.store(3, new Uint8Array(8).fill(9));
  t.deepEqual(keys(m).map((k) => rd32(k)), [2, 3], 'ids go up to roundup_pow_of_two(max_entries) - 1');
  t.is(m.sysLookup(u32(2), 0).length, 32);
  t.is(m.sysLookupAndDelete(u32(2), 0)[7], 8);
  t.is(errnoOf(() => m.sysLookup(u32(2), 0)), 'ENOENT');
});
