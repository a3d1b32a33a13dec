import test from 'ava';
import type { BpfMap, Random } from '@bpfkit/kernel-api';
import { createMapTypes } from '@bpfkit/maps';
import { createVmArena } from '@bpfkit/memory';
import { BPF_ANY, BPF_F_ZERO_SEED, BpfMapType } from '@bpfkit/uapi';
import { keys, rd32, u32 } from './runtime-helpers.js';

function hashWith(random: Random | undefined, flags: number): BpfMap {
  const maps = createMapTypes({ arena: createVmArena({ initialBytes: 1 << 20 }), ...(random === undefined ? {} : { random }) });
  const m = maps.get(BpfMapType.BPF_MAP_TYPE_HASH)?.create({
    info: { mapType: BpfMapType.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 64, mapFlags: flags, isMapInMap: false }, mapExtra: 0n, valueFields: [],
  });
  if (m === undefined) throw new Error('no hash type');
  for (let k = 0; k < 64; k++) m.sysUpdate(u32(k), u32(k), BPF_ANY, {});
  return m;
}
const order = (m: BpfMap): string => keys(m).map((k) => rd32(k)).join(',');

test('hash seeds come from the injected random source; BPF_F_ZERO_SEED ignores it', (t) => {
  const a = { u32: () => 1 };
  const b = { u32: () => 0xdeadbeef };
  t.not(order(hashWith(a, 0)), order(hashWith(b, 0)));
  t.is(order(hashWith(a, BPF_F_ZERO_SEED)), order(hashWith(b, BPF_F_ZERO_SEED)));
  t.is(order(hashWith({ u32: () => 0 }, 0)), order(hashWith(a, BPF_F_ZERO_SEED)), 'a zero seed is the zero seed');
});

test('the default random source is deterministic: two registries lay maps out alike', (t) => {
  t.is(order(hashWith(undefined, 0)), order(hashWith(undefined, 0)));
});

test('createMapTypes rejects unknown deps', (t) => {
  t.throws(() => createMapTypes({ arenna: 1 } as never), { message: /unknown option 'arenna'/ });
});

test('a registry without an injected arena makes its own on first use', (t) => {
  const maps = createMapTypes();
  const m = maps.get(BpfMapType.BPF_MAP_TYPE_ARRAY)?.create({
    info: { mapType: BpfMapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, mapFlags: 0, isMapInMap: false }, mapExtra: 0n, valueFields: [],
  });
  t.true((m?.address ?? 0) >= 0x1_0000);
});
