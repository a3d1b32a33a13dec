import test from 'ava';
import type { BpfMap, MapValueField } from '@bpfkit/kernel-api';
import { createMapTypes } from '@bpfkit/maps';
import { createVmArena } from '@bpfkit/memory';
import { BPF_ANY, BPF_F_LOCK, BpfMapType } from '@bpfkit/uapi';
import { u32 } from './runtime-helpers.js';

const FIELDS: readonly MapValueField[] = [{ kind: 'bpf_spin_lock', offset: 0, size: 4 }, { kind: 'bpf_timer', offset: 8, size: 16 }];

/** A machine whose maps report every timer they free. */
function machine(): { create: (type: number) => BpfMap; freed: number[]; freedMaps: BpfMap[]; lookup: (m: BpfMap, k: number) => number; u32At: (addr: number) => number } {
  const arena = createVmArena({ initialBytes: 1 << 20 });
  const freed: number[] = [];
  const freedMaps: BpfMap[] = [];
  const maps = createMapTypes({ arena, possibleCpus: 2, timers: {
    free: (a) => {
      freed.push(a);
    },
    freeMap: (m) => {
      freedMaps.push(m);
    },
  } });
  const create = (type: number): BpfMap => {
    const d = maps.get(type);
    if (d === undefined) throw new Error(`no map type ${type}`);
    return d.create({ info: { mapType: type, keySize: 4, valueSize: 32, maxEntries: 4, mapFlags: 0, isMapInMap: false }, mapExtra: 0n, valueFields: FIELDS });
  };
  const key = arena.alloc(8);
  const lookup = (m: BpfMap, k: number): number => {
    arena.view.setUint32(key, k, true);
    return m.lookupElem(key, 0);
  };
  return { create, freed, freedMaps, lookup, u32At: (addr) => arena.view.getUint32(addr, true) };
}

test('array: an update frees the element\'s timer (bpf_obj_free_fields), a BPF_F_LOCK update keeps it', (t) => {
  const m = machine();
  const a = m.create(BpfMapType.BPF_MAP_TYPE_ARRAY);
  const v = m.lookup(a, 2);
  a.sysUpdate(u32(2), new Uint8Array(32).fill(0xff), BPF_ANY, {});
  t.deepEqual(m.freed, [v + 8]);
  a.sysUpdate(u32(2), new Uint8Array(32), BPF_F_LOCK, {});
  t.deepEqual(m.freed, [v + 8]);
  t.deepEqual([...a.sysLookup(u32(2), 0).subarray(8, 24)], new Array<number>(16).fill(0), 'user space reads the timer as zeros');
});

test('array: asyncFields gives the timer offset and the index as the callback\'s u32 key', (t) => {
  const m = machine();
  const a = m.create(BpfMapType.BPF_MAP_TYPE_ARRAY);
  const f = a.asyncFields;
  if (f === undefined) return t.fail('no asyncFields');
  t.is(f.timerOff, 8);
  t.is(m.u32At(f.callbackKeyAddr(m.lookup(a, 3))), 3);
  t.is(m.u32At(f.callbackKeyAddr(m.lookup(a, 1))), 1);
});

test('hash: delete and an update that replaces the element free the old element\'s timer; the callback key is the element\'s own', (t) => {
  const m = machine();
  const h = m.create(BpfMapType.BPF_MAP_TYPE_HASH);
  h.sysUpdate(u32(5), new Uint8Array(32), BPF_ANY, {});
  const first = m.lookup(h, 5);
  h.sysUpdate(u32(5), new Uint8Array(32), BPF_ANY, {});
  t.true(m.freed.includes(first + 8), 'the replaced element');
  const second = m.lookup(h, 5);
  h.sysDelete(u32(5));
  t.true(m.freed.includes(second + 8), 'the deleted element');
  h.sysUpdate(u32(6), new Uint8Array(32), BPF_ANY, {});
  const v = m.lookup(h, 6);
  t.is(h.asyncFields?.callbackKeyAddr(v), v - 8);
});

test('a map with timers frees them all when it is released; one without timers has no asyncFields', (t) => {
  const m = machine();
  const a = m.create(BpfMapType.BPF_MAP_TYPE_ARRAY);
  a.release();
  t.deepEqual(m.freedMaps, [a]);
  const arena = createVmArena({ initialBytes: 1 << 16 });
  const plain = createMapTypes({ arena }).get(BpfMapType.BPF_MAP_TYPE_ARRAY)?.create({
    info: { mapType: BpfMapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, mapFlags: 0, isMapInMap: false }, mapExtra: 0n, valueFields: [],
  });
  t.is(plain?.asyncFields, undefined);
});
