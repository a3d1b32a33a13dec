import test from 'ava';
import { isBpfError } from '@bpfkit/kernel-api';
import { createMapTypes } from '@bpfkit/maps';
import { makeNoopMapTypes } from '@bpfkit/maps/testing';
import { BpfMapType, bpfMapTypeTable } from '@bpfkit/uapi';
import { mapCases } from './map-create-cases.js';
import { create, fullyPrivileged, requestOf } from './run-case.js';

const maps = createMapTypes({ memoryLimitBytes: 8 * 1024 ** 3 });

for (const c of mapCases) {
  test(`${c.rule} (${c.expect})`, (t) => {
    t.is(create(maps, c), c.expect);
  });
}

test('every map type of the 6.18 enum has a descriptor, unspec none', (t) => {
  for (let type = 1; type < bpfMapTypeTable.max; type++) t.is(maps.get(type)?.type, type);
  t.is(maps.get(0), undefined);
  t.is(maps.get(bpfMapTypeTable.max), undefined);
  t.is(maps.all().length, bpfMapTypeTable.max - 1);
});

test('per-type capabilities follow the map_create switch', (t) => {
  const cap = (type: number): string | undefined => maps.get(type)?.capability;
  t.is(cap(BpfMapType.BPF_MAP_TYPE_HASH), 'none');
  t.is(cap(BpfMapType.BPF_MAP_TYPE_CGROUP_STORAGE), 'none');
  t.is(cap(BpfMapType.BPF_MAP_TYPE_USER_RINGBUF), 'none');
  t.is(cap(BpfMapType.BPF_MAP_TYPE_LRU_HASH), 'CAP_BPF');
  t.is(cap(BpfMapType.BPF_MAP_TYPE_ARENA), 'CAP_BPF');
  t.is(cap(BpfMapType.BPF_MAP_TYPE_STACK), 'CAP_BPF');
  t.is(cap(BpfMapType.BPF_MAP_TYPE_SOCKMAP), 'CAP_NET_ADMIN');
  t.is(cap(BpfMapType.BPF_MAP_TYPE_XSKMAP), 'CAP_NET_ADMIN');
  t.is(cap(BpfMapType.BPF_MAP_TYPE_DEVMAP_HASH), 'CAP_NET_ADMIN');
  const counts = { none: 0, CAP_BPF: 0, CAP_NET_ADMIN: 0 };
  for (const d of maps.all()) counts[d.capability]++;
  t.deepEqual(counts, { none: 13, CAP_BPF: 15, CAP_NET_ADMIN: 5 });
});

test('hash zero seed without CAP_SYS_ADMIN is EPERM, in the alloc_check phase', (t) => {
  const d = maps.get(BpfMapType.BPF_MAP_TYPE_HASH);
  const err = t.throws(() => { d?.allocCheck(requestOf({ rule: '', type: 1, flags: 64, expect: 'EPERM' }), { capable: () => false, bypassSpecV1: () => true }); });
  t.true(isBpfError(err, 'EPERM'));
  t.is(err?.message, 'BPF_F_ZERO_SEED needs CAP_SYS_ADMIN');
});

test('array max_entries rounds up to a power of two without bypass_spec_v1', (t) => {
  const d = maps.get(BpfMapType.BPF_MAP_TYPE_ARRAY);
  const req = requestOf({ rule: '', type: 2, max: 2 ** 31 + 1, value: 4, expect: 'E2BIG' });
  t.throws(() => d?.alloc(req, { capable: () => true, bypassSpecV1: () => false }), { message: /overflows u32/ });
  t.notThrows(() => d?.alloc({ ...req, maxEntries: 5 }, fullyPrivileged));
});

test('lru percpu hash with NO_COMMON_LRU rounds max_entries to a CPU multiple', (t) => {
  const four = createMapTypes({ possibleCpus: 4 });
  const a = four.get(BpfMapType.BPF_MAP_TYPE_LRU_HASH)?.alloc(requestOf({ rule: '', type: 9, max: 5, flags: 2, expect: 'ok' }), fullyPrivileged);
  t.is(a?.maxEntries, 8);
});

test('devmap records BPF_F_RDONLY_PROG', (t) => {
  const a = maps.get(BpfMapType.BPF_MAP_TYPE_DEVMAP)?.alloc(requestOf({ rule: '', type: 14, value: 4, expect: 'ok' }), fullyPrivileged);
  t.is(a?.mapFlags, 128);
});

test('map-in-map records the inner map template', (t) => {
  const a = maps.get(BpfMapType.BPF_MAP_TYPE_ARRAY_OF_MAPS)?.alloc(requestOf({ rule: '', type: 12, value: 4, inner: 2, expect: 'ok' }), fullyPrivileged);
  t.is(a?.innerMapMeta?.mapType, 2);
});

test('the simulated page size decides ringbuf and arena alignment', (t) => {
  const big = createMapTypes({ pageSize: 16384 });
  t.is(create(big, { rule: '', type: 27, key: 0, value: 0, max: 4096, expect: 'EINVAL' }), 'EINVAL');
  t.is(create(big, { rule: '', type: 27, key: 0, value: 0, max: 16384, expect: 'ok' }), 'ok');
});

test('arena needs JIT support', (t) => {
  const noJit = createMapTypes({ jitSupportsArena: false });
  t.is(create(noJit, { rule: '', type: 33, key: 0, value: 0, flags: 1024, expect: 'ok' }), 'EOPNOTSUPP');
});

test('struct_ops: unknown value type is ENOTSUPP; a vmlinux BTF object fd is EINVAL', (t) => {
  const d = maps.get(BpfMapType.BPF_MAP_TYPE_STRUCT_OPS);
  const req = { ...requestOf({ rule: '', type: 26, btf: true, value: 64, expect: 'ok' }) };
  t.throws(() => d?.alloc({ ...req, structOpsValueSize: () => undefined }, fullyPrivileged), { code: 'ENOTSUPP' } as never);
  t.throws(() => d?.alloc({ ...req, mapFlags: 1 << 15, valueTypeBtfObj: () => ({ ok: true, value: { isModule: false } }) }, fullyPrivileged), { message: /module/ });
});

test('offload: CAP_SYS_ADMIN, hash/array only, then no device', (t) => {
  const req = requestOf({ rule: '', type: 1, expect: 'EINVAL' });
  t.throws(() => maps.offload.alloc({ ...req, mapIfindex: 3 }, { capable: () => false, bypassSpecV1: () => true }), { message: /CAP_SYS_ADMIN/ });
  t.throws(() => maps.offload.alloc({ ...req, mapType: 9, mapIfindex: 3 }, fullyPrivileged), { message: /only hash and array/ });
  t.throws(() => maps.offload.alloc({ ...req, mapIfindex: 3 }, fullyPrivileged), { message: /ifindex 3/ });
});

test('unknown deps are rejected', (t) => {
  t.throws(() => createMapTypes({ pageSise: 1 } as never), { message: /unknown option 'pageSise'/ });
});

test('makeNoopMapTypes accepts everything unless told otherwise', (t) => {
  const noop = makeNoopMapTypes();
  t.is(create(noop, { rule: '', type: 27, max: 3, expect: 'ok' }), 'ok');
  t.is(create(makeNoopMapTypes({ get: () => undefined }), { rule: '', type: 1, expect: 'EINVAL' }), 'EINVAL');
});
