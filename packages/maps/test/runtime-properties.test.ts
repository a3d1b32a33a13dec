import test from 'ava';
import fc from 'fast-check';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, BpfMapType } from '@bpfkit/uapi';
import { createVmArena } from '@bpfkit/memory';
import { createMapTypes } from '@bpfkit/maps';
import { errnoOf, keys, machine, rd32, u32 } from './runtime-helpers.js';

const { create } = machine();

type Op = { readonly op: 'update'; readonly k: number; readonly v: number; readonly flags: number } | { readonly op: 'delete'; readonly k: number } | { readonly op: 'lookup'; readonly k: number };
const ops = (keySpace: number): fc.Arbitrary<Op[]> => fc.array(fc.oneof(
  fc.record({ op: fc.constant('update' as const), k: fc.nat(keySpace), v: fc.nat(), flags: fc.constantFrom(BPF_ANY, BPF_NOEXIST, BPF_EXIST) }),
  fc.record({ op: fc.constant('delete' as const), k: fc.nat(keySpace) }),
  fc.record({ op: fc.constant('lookup' as const), k: fc.nat(keySpace) }),
), { maxLength: 60 });

for (const [name, type] of [['hash', BpfMapType.BPF_MAP_TYPE_HASH], ['percpu_hash', BpfMapType.BPF_MAP_TYPE_PERCPU_HASH]] as const) {
  test(`${name} behaves like a bounded dictionary (property)`, (t) => {
    const percpu = type === BpfMapType.BPF_MAP_TYPE_PERCPU_HASH;
    fc.assert(fc.property(ops(12), (seq) => {
      const m = create({ type, max: 8 });
      const model = new Map<number, number>();
      for (const o of seq) {
        if (o.op === 'update') {
          const value = percpu ? new Uint8Array(16) : u32(o.v);
          if (percpu) { value.set(u32(o.v), 0); value.set(u32(o.v), 8); }
          let expect = 'ok';
          if (o.flags === BPF_NOEXIST && model.has(o.k)) expect = 'EEXIST';
          else if (o.flags === BPF_EXIST && !model.has(o.k)) expect = 'ENOENT';
          else if (!model.has(o.k) && model.size >= 8) expect = 'E2BIG';
          if (errnoOf(() => { m.sysUpdate(u32(o.k), value, o.flags, {}); }) !== expect) return false;
          if (expect === 'ok') model.set(o.k, o.v);
        } else if (o.op === 'delete') {
          if (errnoOf(() => { m.sysDelete(u32(o.k)); }) !== (model.has(o.k) ? 'ok' : 'ENOENT')) return false;
          model.delete(o.k);
        } else {
          const want = model.get(o.k);
          const got = errnoOf(() => m.sysLookup(u32(o.k), 0)) === 'ok' ? rd32(m.sysLookup(u32(o.k), 0)) : undefined;
          if (got !== want) return false;
        }
      }
      const walked = keys(m).map((k) => rd32(k)).sort((a, b) => a - b);
      m.release();
      return JSON.stringify(walked) === JSON.stringify([...model.keys()].sort((a, b) => a - b));
    }));
    t.pass();
  });
}

for (const [name, type] of [['array', BpfMapType.BPF_MAP_TYPE_ARRAY], ['percpu_array', BpfMapType.BPF_MAP_TYPE_PERCPU_ARRAY]] as const) {
  test(`${name} behaves like a fixed vector of zeroed values (property)`, (t) => {
    const percpu = type === BpfMapType.BPF_MAP_TYPE_PERCPU_ARRAY;
    fc.assert(fc.property(ops(10), (seq) => {
      const m = create({ type, max: 8 });
      const model = new Array<number>(8).fill(0);
      for (const o of seq) {
        if (o.op === 'update') {
          const value = percpu ? new Uint8Array(16) : u32(o.v);
          if (percpu) value.set(u32(o.v), 8);
          const expect = o.k >= 8 ? 'E2BIG' : o.flags === BPF_NOEXIST ? 'EEXIST' : 'ok';
          if (errnoOf(() => { m.sysUpdate(u32(o.k), value, o.flags, {}); }) !== expect) return false;
          if (expect === 'ok') model[o.k] = o.v;
        } else if (o.op === 'delete') {
          if (errnoOf(() => { m.sysDelete(u32(o.k)); }) !== 'EINVAL') return false;
        } else if (o.k < 8) {
          if (rd32(m.sysLookup(u32(o.k), 0), percpu ? 8 : 0) !== model[o.k]) return false;
        } else if (errnoOf(() => m.sysLookup(u32(o.k), 0)) !== 'ENOENT') return false;
      }
      m.release();
      return true;
    }));
    t.pass();
  });
}

for (const [name, type] of [['lru_hash', BpfMapType.BPF_MAP_TYPE_LRU_HASH], ['lru_percpu_hash', BpfMapType.BPF_MAP_TYPE_LRU_PERCPU_HASH]] as const) {
  for (const flags of [0, 2]) {
    test(`${name}${flags === 2 ? ' (no common LRU)' : ''}: never over capacity, the last key written is always there, values never mix (property)`, (t) => {
      fc.assert(fc.property(ops(40), (seq) => {
        const m = create({ type, max: 8, flags });
        const vs = type === BpfMapType.BPF_MAP_TYPE_LRU_PERCPU_HASH ? 16 : 4;
        const written = new Map<number, number>();
        for (const o of seq) {
          if (o.op !== 'update' || o.flags !== BPF_ANY) continue;
          const v = new Uint8Array(vs);
          v.set(u32(o.v), 0);
          if (errnoOf(() => { m.sysUpdate(u32(o.k), v, BPF_ANY, {}); }) !== 'ok') return false;
          written.set(o.k, o.v);
          if (rd32(m.sysLookup(u32(o.k), 0)) !== o.v) return false;
        }
        const present = keys(m).map((k) => rd32(k));
        const ok = present.length <= m.info.maxEntries && present.every((k) => rd32(m.sysLookup(u32(k), 0)) === written.get(k));
        m.release();
        return ok;
      }));
      t.pass();
    });
  }
}

test('lpm trie: lookups give the longest stored prefix containing the address (property)', (t) => {
  const prefix = fc.record({ len: fc.integer({ min: 0, max: 16 }), addr: fc.integer({ min: 0, max: 0xffff }) });
  fc.assert(fc.property(fc.array(prefix, { maxLength: 20 }), fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 20 }), fc.array(prefix, { maxLength: 5 }), (inserts, probes, deletes) => {
    const m = create({ type: BpfMapType.BPF_MAP_TYPE_LPM_TRIE, key: 6, value: 4, max: 32, flags: 1 });
    const key = (len: number, addr: number): Uint8Array => { const k = new Uint8Array(6); k.set(u32(len)); k[4] = addr >> 8; k[5] = addr & 0xff; return k; };
    const norm = (len: number, addr: number): number => (len === 0 ? 0 : (addr >> (16 - len)) << (16 - len));
    const model = new Map<string, number>();
    inserts.forEach((p, i) => { m.sysUpdate(key(p.len, p.addr), u32(i), BPF_ANY, {}); model.set(`${p.len}/${norm(p.len, p.addr)}`, i); });
    for (const p of deletes) {
      const id = `${p.len}/${norm(p.len, p.addr)}`;
      if (errnoOf(() => { m.sysDelete(key(p.len, p.addr)); }) !== (model.has(id) ? 'ok' : 'ENOENT')) return false;
      model.delete(id);
    }
    for (const a of probes) {
      let want: number | undefined;
      for (let len = 16; len >= 0 && want === undefined; len--) want = model.get(`${len}/${norm(len, a)}`);
      const r = errnoOf(() => m.sysLookup(key(16, a), 0));
      const got = r === 'ok' ? rd32(m.sysLookup(key(16, a), 0)) : undefined;
      if (got !== want) return false;
    }
    const ok = keys(m).length === model.size;
    m.release();
    return ok;
  }));
  t.pass();
});

for (const [name, type, lifo] of [['queue', BpfMapType.BPF_MAP_TYPE_QUEUE, false], ['stack', BpfMapType.BPF_MAP_TYPE_STACK, true]] as const) {
  test(`${name} matches a ${lifo ? 'LIFO' : 'FIFO'} model, with BPF_EXIST overwriting the oldest (property)`, (t) => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.record({ push: fc.nat(), exist: fc.boolean() }), fc.constant('pop' as const)), { maxLength: 50 }), (seq) => {
      const m = create({ type, key: 0, value: 4, max: 4 });
      const model: number[] = [];
      for (const o of seq) {
        if (o === 'pop') {
          const want = lifo ? model.pop() : model.shift();
          const r = errnoOf(() => m.sysLookupAndDelete(undefined, 0));
          if (want === undefined ? r !== 'ENOENT' : r !== 'ok') return false;
          continue;
        }
        if (model.length === 4 && !o.exist) {
          if (errnoOf(() => { m.sysUpdate(new Uint8Array(0), u32(o.push), BPF_ANY, {}); }) !== 'E2BIG') return false;
          continue;
        }
        if (model.length === 4) model.shift();
        model.push(o.push);
        m.sysUpdate(new Uint8Array(0), u32(o.push), o.exist ? BPF_EXIST : BPF_ANY, {});
      }
      const drained: number[] = [];
      for (;;) {
        const r = errnoOf(() => m.sysLookup(new Uint8Array(0), 0));
        if (r !== 'ok') break;
        drained.push(rd32(m.sysLookupAndDelete(undefined, 0)));
      }
      m.release();
      return JSON.stringify(drained) === JSON.stringify(lifo ? [...model].reverse() : model);
    }));
    t.pass();
  });
}

test('bloom filter: never a false negative (property)', (t) => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 6, maxLength: 6 }), { maxLength: 40 }), fc.integer({ min: 0, max: 15 }), (values, k) => {
    const m = create({ type: BpfMapType.BPF_MAP_TYPE_BLOOM_FILTER, key: 0, value: 6, max: 16, extra: BigInt(k) });
    for (const v of values) m.sysUpdate(new Uint8Array(0), v, BPF_ANY, {});
    const ok = values.every((v) => errnoOf(() => m.sysLookup(v, 0)) === 'ok');
    m.release();
    return ok;
  }));
  t.pass();
});

test('every map type gives all its arena bytes back on release', (t) => {
  const arena = createVmArena({ initialBytes: 1 << 20 });
  const maps = createMapTypes({ arena });
  const sizes: Record<number, [number, number, number, number]> = {
    [BpfMapType.BPF_MAP_TYPE_QUEUE]: [0, 4, 8, 0], [BpfMapType.BPF_MAP_TYPE_STACK]: [0, 4, 8, 0], [BpfMapType.BPF_MAP_TYPE_BLOOM_FILTER]: [0, 4, 8, 0],
    [BpfMapType.BPF_MAP_TYPE_RINGBUF]: [0, 0, 4096, 0], [BpfMapType.BPF_MAP_TYPE_USER_RINGBUF]: [0, 0, 4096, 0], [BpfMapType.BPF_MAP_TYPE_ARENA]: [0, 0, 1, 1024],
    [BpfMapType.BPF_MAP_TYPE_LPM_TRIE]: [8, 4, 8, 1], [BpfMapType.BPF_MAP_TYPE_CGROUP_STORAGE]: [16, 8, 0, 0], [BpfMapType.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE]: [16, 8, 0, 0],
    [BpfMapType.BPF_MAP_TYPE_STRUCT_OPS]: [4, 16, 1, 0],
  };
  const before = arena.allocatedBytes;
  for (const d of maps.all()) {
    const [key, value, max, flags] = sizes[d.type] ?? [4, 8, 8, d.type === BpfMapType.BPF_MAP_TYPE_LRU_HASH || d.type === BpfMapType.BPF_MAP_TYPE_LRU_PERCPU_HASH ? 0 : 1];
    const m = d.create({ info: { mapType: d.type, keySize: key, valueSize: value, maxEntries: max, mapFlags: flags, isMapInMap: false }, mapExtra: 0n, valueFields: [] });
    if (d.type === BpfMapType.BPF_MAP_TYPE_HASH || d.type === BpfMapType.BPF_MAP_TYPE_LRU_HASH) for (let k = 0; k < 8; k++) m.sysUpdate(u32(k), new Uint8Array(8), BPF_ANY, {});
    if (d.type === BpfMapType.BPF_MAP_TYPE_LPM_TRIE) for (let k = 0; k < 8; k++) { const key8 = new Uint8Array(8); key8.set(u32(32)); key8.set(u32(k), 4); m.sysUpdate(key8, u32(k), BPF_ANY, {}); }
    t.true(arena.allocatedBytes > before, `${d.name} lives in the arena`);
    m.release();
    t.is(arena.allocatedBytes, before, `${d.name} leaked`);
  }
});
