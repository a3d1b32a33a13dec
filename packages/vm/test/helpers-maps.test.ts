import test from 'ava';
import type { BpfMap, HelperEnv } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { Errno } from '@bpfkit/uapi';
import { createHelperRegistry } from '@bpfkit/vm';
import { callHelper, HelperFault, makeNoopHelperEnv, makeNoopServices } from '@bpfkit/vm/testing';

const helpers = createHelperRegistry();
const h = (name: string) => {
  const d = helpers.all().find((x) => x.name === name);
  if (d === undefined) throw new Error(`no helper ${name}`);
  return d;
};

/** A 4-entry array map of u32 values in the arena, with a queue for push/pop/peek. */
function fakeMap(env: HelperEnv): BpfMap & { calls: string[] } {
  const a = env.arena;
  const values = a.alloc(16);
  const calls: string[] = [];
  const queue: number[] = [];
  const address = a.alloc(8);
  const key = (addr: number): number => a.view.getUint32(addr, true);
  return {
    calls,
    info: { mapType: 2, keySize: 4, valueSize: 4, maxEntries: 4, mapFlags: 0, isMapInMap: false },
    address,
    sysLookup: () => new Uint8Array(4),
    sysUpdate: () => undefined,
    sysDelete: () => undefined,
    sysGetNextKey: () => new Uint8Array(4),
    sysLookupAndDelete: () => new Uint8Array(4),
    lookupElem: (k, cpu) => {
      calls.push(`lookup ${key(k)} cpu ${cpu}`);
      return key(k) < 4 ? values + 4 * key(k) : 0;
    },
    updateElem: (k, v, flags) => {
      calls.push(`update ${key(k)} flags ${flags}`);
      if (key(k) >= 4) return -Errno.E2BIG;
      a.view.setUint32(values + 4 * key(k), a.view.getUint32(v, true), true);
      return 0;
    },
    deleteElem: () => -Errno.EINVAL,
    pushElem: (v, flags) => {
      calls.push(`push flags ${flags}`);
      queue.push(a.view.getUint32(v, true));
      return 0;
    },
    popElem: (v) => {
      const x = queue.shift();
      if (x === undefined) return -Errno.ENOENT;
      a.view.setUint32(v, x, true);
      return 0;
    },
    peekElem: (v) => {
      const x = queue[0];
      if (x === undefined) return -Errno.ENOENT;
      a.view.setUint32(v, x, true);
      return 0;
    },
    forEachElem: (_cpu, cb) => {
      let n = 0;
      for (let i = 0; i < 4; i++) {
        a.view.setUint32(values + 16 + 0, i, true);
        n++;
        if (cb(values + 16, values + 4 * i) !== 0) break;
      }
      return n;
    },
    release: () => undefined,
  };
}

function setup(callback?: HelperEnv['callback']) {
  const arena = createVmArena({ initialBytes: 1 << 20, wasm: false });
  const holder: { map?: ReturnType<typeof fakeMap> } = {};
  const env = makeNoopHelperEnv({
    arena,
    services: makeNoopServices({ mapAt: (addr) => (addr === holder.map?.address ? holder.map : undefined) }),
    ...(callback === undefined ? {} : { callback }),
  });
  const map = fakeMap(env);
  holder.map = map;
  const key = arena.alloc(8);
  const value = arena.alloc(8);
  return { env, map, key, value, arena };
}

test('map_lookup_elem returns the value address from the map, 0 when absent', (t) => {
  const { env, map, key, arena } = setup();
  arena.view.setUint32(key, 2, true);
  t.not(callHelper(h('map_lookup_elem'), env, map.address, key), 0n);
  arena.view.setUint32(key, 9, true);
  t.is(callHelper(h('map_lookup_elem'), env, map.address, key), 0n);
  t.deepEqual(map.calls, ['lookup 2 cpu 0', 'lookup 9 cpu 0']);
});

test('map_update_elem passes the flags and returns the map\'s errno', (t) => {
  const { env, map, key, value, arena } = setup();
  arena.view.setUint32(key, 1, true);
  arena.view.setUint32(value, 77, true);
  t.is(callHelper(h('map_update_elem'), env, map.address, key, value, 2), 0n);
  const v = Number(callHelper(h('map_lookup_elem'), env, map.address, key));
  t.is(arena.view.getUint32(v, true), 77);
  arena.view.setUint32(key, 5, true);
  t.is(callHelper(h('map_update_elem'), env, map.address, key, value, 0), BigInt(-Errno.E2BIG));
});

test('map_update_elem with a flag in the high word is -EINVAL without asking the map', (t) => {
  const { env, map, key, value } = setup();
  t.is(callHelper(h('map_update_elem'), env, map.address, key, value, 1n << 32n), BigInt(-Errno.EINVAL));
  t.deepEqual(map.calls, []);
});

test('map_delete_elem returns what the map says', (t) => {
  const { env, map, key } = setup();
  t.is(callHelper(h('map_delete_elem'), env, map.address, key), BigInt(-Errno.EINVAL));
});

test('push, peek and pop go through the map in order', (t) => {
  const { env, map, value, arena } = setup();
  arena.view.setUint32(value, 5, true);
  t.is(callHelper(h('map_push_elem'), env, map.address, value, 0), 0n);
  arena.view.setUint32(value, 6, true);
  t.is(callHelper(h('map_push_elem'), env, map.address, value, 0), 0n);
  arena.view.setUint32(value, 0, true);
  t.is(callHelper(h('map_peek_elem'), env, map.address, value), 0n);
  t.is(arena.view.getUint32(value, true), 5);
  t.is(callHelper(h('map_pop_elem'), env, map.address, value), 0n);
  t.is(callHelper(h('map_pop_elem'), env, map.address, value), 0n);
  t.is(arena.view.getUint32(value, true), 6);
  t.is(callHelper(h('map_pop_elem'), env, map.address, value), BigInt(-Errno.ENOENT));
});

test('a helper given something that is not a map stops the run with a helper fault', (t) => {
  const { env, key } = setup();
  t.throws(() => callHelper(h('map_lookup_elem'), env, 0x1234, key), { instanceOf: HelperFault, message: /not a map/ });
});

test('a key outside the arena is a helper fault, not a RangeError', (t) => {
  const { env, map } = setup();
  t.throws(() => callHelper(h('map_lookup_elem'), env, map.address, 0xffff_fff0), { instanceOf: HelperFault });
  t.throws(() => callHelper(h('map_lookup_elem'), env, map.address, 1n << 40n), { instanceOf: HelperFault });
});

test('for_each_map_elem calls back with (map, key, value, ctx) and stops on a non-zero return', (t) => {
  const seen: number[][] = [];
  const { env, map } = setup((fn, a1, a2, a3, a4) => {
    seen.push([fn, a1, a3 - a2 > 0 ? 1 : 0, a4]);
    return seen.length === 3 ? 1n : 0n;
  });
  t.is(callHelper(h('for_each_map_elem'), env, map.address, 42, 7, 0), 3n);
  t.is(seen.length, 3);
  t.deepEqual(seen[0]?.[0], 42);
  t.deepEqual(seen[0]?.[1], map.address);
  t.deepEqual(seen[0]?.[3], 7);
});

test('for_each_map_elem with flags is -EINVAL', (t) => {
  const { env, map } = setup(() => 0n);
  t.is(callHelper(h('for_each_map_elem'), env, map.address, 42, 7, 1), BigInt(-Errno.EINVAL));
});
