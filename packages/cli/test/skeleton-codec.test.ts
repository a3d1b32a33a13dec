import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { generateSkeleton } from '../dist/skeleton/index.js';
import { richSource } from './skeleton-btf.js';
import { FIXTURES, genDir, importModule, typeCheck, writeModule } from './skeleton-compile.js';

interface Inner { a: number; b: number; c: number }
interface Value {
  tag: number; delta: number; total: bigint; name: Uint8Array; quad: number[]; inner: Inner; color: number; lo: number; mid: number;
  wide: bigint; flag: boolean; big: bigint; huge: bigint; f: number; d: number; p: bigint; many: number[];
  u: { word?: number; bytes?: Uint8Array }; pair: Inner[]; color4: number; grid: number[][]; __anon21: { x: number; y: number };
}
interface Old { x: number; y: number; z: number }

interface Codecs {
  encodeValue(v: Value): Uint8Array;
  decodeValue(b: Uint8Array): Value;
  encodeInner(v: Inner): Uint8Array;
  decodeInner(b: Uint8Array): Inner;
  encodeInnerT(v: Inner): Uint8Array;
  encodeOld(v: Old): Uint8Array;
  decodeOld(b: Uint8Array): Old;
  encodeU(v: Value['u']): Uint8Array;
  decodeU(b: Uint8Array): Value['u'];
  decodeColor(b: Uint8Array): number;
  isColor(n: number): boolean;
  Color: Record<string, number>;
  Big: Record<string, bigint>;
}

const { source } = richSource();
const text = generateSkeleton(source, new Uint8Array([1, 2, 3, 250]), { objectName: 'rich' });
const dir = genDir('rich');
copyFileSync(join(FIXTURES, 'fake-libbpf.js'), join(dir, 'fake-libbpf.js'));
const files = writeModule(dir, 'rich.skel', text, './fake-libbpf.js');
const mod = importModule(files.js);
const codecs = async (): Promise<Codecs> => (await mod) as unknown as Codecs;

test('the rich module type-checks in strict mode', (t) => {
  t.is(typeCheck([files.ts]), '');
});

test('generated types: tuples, bytes, bigint, enums, unions, aliases, anonymous members', (t) => {
  t.regex(text, /export interface Value \{\n {2}tag: number;\n {2}delta: number;\n {2}total: bigint;\n {2}name: Uint8Array;\n {2}quad: \[number, number, number, number\];\n {2}inner: Inner;\n {2}color: Color;/);
  t.regex(text, / {2}many: number\[\];\n {2}u: U;\n {2}pair: \[Inner, Inner\];\n {2}color4: Color;\n {2}grid: \[\[number, number, number\], \[number, number, number\]\];\n {2}__anon21: ValueAnon21;/);
  t.regex(text, /export type Color = -1 \| 0 \| 7;/);
  t.regex(text, /export type Big = 1n \| 18446744073709551615n;/);
  t.regex(text, /export interface U \{\n {2}word\?: number;\n {2}bytes\?: Uint8Array;\n\}/);
  t.regex(text, /export type InnerT = Inner;/);
  t.regex(text, /readonly percpu: PerCpuMap<number, Inner>;/);
  t.regex(text, /readonly events: BpfMap;/);
  t.regex(text, /readonly opaque: TypedMap<Uint8Array, Uint8Array>;/);
  t.notRegex(text, /hidden/);
  t.regex(text, /readonly data_custom: RichDataCustom;/);
});

test('struct layout honors BTF offsets, padding, bitfields and little-endian', async (t) => {
  const c = await codecs();
  const v = sample();
  const bytes = c.encodeValue(v);
  t.is(bytes.length, 216);
  const view = new DataView(bytes.buffer);
  t.is(bytes[0], 0xab);
  t.deepEqual([...bytes.subarray(1, 4)], [0, 0, 0]);
  t.is(view.getInt32(4, true), -2);
  t.is(view.getBigUint64(8, true), 0x0102030405060708n);
  t.is(bytes[16], 0x68);
  t.is(view.getUint32(40, true), 2);
  t.is(view.getUint16(48, true), 0x1234);
  t.is(view.getInt32(56, true), 7);
  // lo:3 = 5, mid:7 = -3, wide:40 from bit 490: one 50-bit little-endian field from byte 60.
  let bits = 0n;
  for (let i = 66; i >= 60; i--) bits = (bits << 8n) | BigInt(bytes[i] ?? 0);
  t.is(bits & 7n, 5n);
  t.is(BigInt.asIntN(7, (bits >> 3n) & 0x7fn), -3n);
  t.is((bits >> 10n) & ((1n << 40n) - 1n), 0x123456789an);
  t.is(bytes[68], 1);
  t.is(view.getBigUint64(72, true), 0xffffffffffffffffn);
  t.is(view.getBigUint64(80, true), 0xffffffffffffffffn);
  t.is(view.getBigInt64(88, true), -1n);
  t.is(view.getFloat32(96, true), 1.5);
  t.is(view.getFloat64(104, true), -2.25);
  t.is(view.getUint16(120 + 19 * 2, true), 19);
  t.is(view.getUint32(160, true), 0xdeadbeef);
  t.is(view.getUint32(180, true), 99);
  t.is(bytes[184], 0x0f);
  t.is(view.getUint32(188 + 5 * 4, true), 6);
  t.is(view.getUint16(214, true), 0x4242);
  const back = c.decodeValue(bytes);
  t.deepEqual(back, { ...v, u: { word: 0xdeadbeef, bytes: new Uint8Array([0xef, 0xbe, 0xad, 0xde]) } });
});

test('kind_flag 0 bitfields (width in the INT) round-trip', async (t) => {
  const c = await codecs();
  const bytes = c.encodeOld({ x: 31, y: -5, z: 0xbeef });
  t.is(new DataView(bytes.buffer).getUint32(0, true), (31 | ((-5 & 0x7ffffff) << 5)) >>> 0);
  t.deepEqual(c.decodeOld(bytes), { x: 31, y: -5, z: 0xbeef });
});

test('enums: const object, guard, and decoding refuses values outside the enum', async (t) => {
  const c = await codecs();
  t.deepEqual(c.Color, { RED: -1, GREEN: 0, BLUE: 7 });
  t.is(c.Big['HUGE'], 0xffffffffffffffffn);
  t.true(c.isColor(7));
  t.false(c.isColor(3));
  t.is(c.decodeColor(new Uint8Array([0xff, 0xff, 0xff, 0xff])), -1);
  t.throws(() => c.decodeColor(new Uint8Array([3, 0, 0, 0])), { instanceOf: RangeError });
});

test('encoders check array lengths and byte array sizes', async (t) => {
  const c = await codecs();
  t.throws(() => c.encodeValue({ ...sample(), quad: [1, 2, 3] }), { instanceOf: RangeError });
  t.throws(() => c.encodeValue({ ...sample(), name: new Uint8Array(17) }), { instanceOf: RangeError });
  // A shorter char array is zero-padded, as a C string.
  t.deepEqual([...c.decodeValue(c.encodeValue({ ...sample(), name: new Uint8Array([65]) })).name], [65, ...new Array<number>(15).fill(0)]);
  t.throws(() => c.decodeInner(new Uint8Array(7)), { instanceOf: RangeError });
  t.deepEqual(c.encodeInnerT({ a: 1, b: 2, c: 3 }), c.encodeInner({ a: 1, b: 2, c: 3 }));
});

test('unions write the members present, in order, and decode every view', async (t) => {
  const c = await codecs();
  t.deepEqual([...c.encodeU({ bytes: new Uint8Array([1, 2]) })], [1, 2, 0, 0]);
  t.deepEqual([...c.encodeU({ word: 1, bytes: new Uint8Array([9]) })], [9, 0, 0, 0]);
  t.deepEqual(c.decodeU(new Uint8Array([1, 0, 0, 0])), { word: 1, bytes: new Uint8Array([1, 0, 0, 0]) });
});

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const s32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const inner = fc.record({ a: u16, b: u8, c: u32 });
const color = fc.constantFrom(-1, 0, 7);
const value: fc.Arbitrary<Value> = fc.record({
  tag: u8, delta: s32, total: u64, name: fc.uint8Array({ minLength: 16, maxLength: 16 }), quad: fc.array(u32, { minLength: 4, maxLength: 4 }),
  inner, color, lo: fc.integer({ min: 0, max: 7 }), mid: fc.integer({ min: -64, max: 63 }), wide: fc.bigInt({ min: 0n, max: 2n ** 40n - 1n }),
  flag: fc.boolean(), big: fc.constantFrom(1n, 0xffffffffffffffffn), huge: fc.bigInt({ min: -(2n ** 127n), max: 2n ** 127n - 1n }),
  f: fc.float({ noNaN: true }).map(Math.fround), d: fc.double({ noNaN: true }), p: u64, many: fc.array(u16, { minLength: 20, maxLength: 20 }),
  u: u32.map((word) => ({ word })), pair: fc.array(inner, { minLength: 2, maxLength: 2 }), color4: color,
  grid: fc.array(fc.array(u32, { minLength: 3, maxLength: 3 }), { minLength: 2, maxLength: 2 }), __anon21: fc.record({ x: u16, y: u16 }),
});

test('property: decode(encode(x)) is x, and encoding is stable', async (t) => {
  const c = await codecs();
  fc.assert(
    fc.property(value, (v) => {
      const bytes = c.encodeValue(v);
      const back = c.decodeValue(bytes);
      const word = v.u.word ?? 0;
      const le = new Uint8Array([word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24]);
      t.deepEqual(back, { ...v, u: { word, bytes: le } });
      t.deepEqual(c.encodeValue(back), bytes);
    }),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 31 }), fc.integer({ min: -(2 ** 26), max: 2 ** 26 - 1 }), u16, (x, y, z) => {
      t.deepEqual(c.decodeOld(c.encodeOld({ x, y, z })), { x, y, z });
    }),
  );
});

function sample(): Value {
  return {
    tag: 0xab, delta: -2, total: 0x0102030405060708n, name: new Uint8Array([0x68, 0x69, ...new Array<number>(14).fill(0)]), quad: [0, 1, 2, 3],
    inner: { a: 0x1234, b: 0x56, c: 0x789abcde }, color: 7, lo: 5, mid: -3, wide: 0x123456789an, flag: true, big: 0xffffffffffffffffn,
    huge: -1n,
    f: 1.5, d: -2.25, p: 0xffff888800001000n, many: Array.from({ length: 20 }, (_, i) => i),
    u: { word: 0xdeadbeef }, pair: [{ a: 1, b: 2, c: 3 }, { a: 4, b: 5, c: 99 }], color4: -1,
    grid: [[1, 2, 3], [4, 5, 6]], __anon21: { x: 0x4242, y: 0x4242 },
  };
}

interface TypedMapLike<K, V> {
  lookup(k: K): V | undefined;
  update(k: K, v: V, flags?: number): void;
  delete(k: K): boolean;
  keys(): Iterable<K>;
  entries(): Iterable<[K, V]>;
}
interface RichSkeleton {
  readonly obj: { readonly name: string; readonly bytes: Uint8Array; readonly closed?: boolean; readonly maps: readonly { name: string; internal: boolean }[] };
  readonly loaded: boolean;
  readonly progs: { prog_a: { name: string } };
  readonly maps: { values: TypedMapLike<number, Value>; percpu: TypedMapLike<number, Inner[]>; opaque: TypedMapLike<Uint8Array, Uint8Array>; events: { name: string } };
  readonly rodata: { knob: number; legacy: Old };
  readonly bss: { counter: bigint };
  readonly data_custom: { arr: number[] };
  load(): void;
  close(): void;
}
interface FakeModule {
  BpfObject: { layout: Record<string, { size: number; vars: Record<string, [number, number]> }> };
}

test('the skeleton class drives BpfObject: programs, typed maps, per-CPU maps, globals before and after load', async (t) => {
  const m = (await mod) as unknown as { RichSkeleton: { open(o: object): RichSkeleton }; richBytes(): Uint8Array };
  const fake = (await importModule(join(dir, 'fake-libbpf.js'))) as unknown as FakeModule;
  fake.BpfObject.layout = {
    '.rodata': { size: 16, vars: { knob: [0, 4], legacy: [8, 8] } },
    '.bss': { size: 12, vars: { counter: [0, 8], hidden: [8, 4] } },
    '.data.custom': { size: 80, vars: { arr: [0, 80] } },
  };
  t.deepEqual([...m.richBytes()], [1, 2, 3, 250]);
  const skel = m.RichSkeleton.open({ host: {} });
  t.is(skel.obj.name, 'rich');
  t.deepEqual([...skel.obj.bytes], [1, 2, 3, 250]);
  t.is(skel.progs.prog_a.name, 'prog_a');
  t.is(skel.maps.events.name, 'events');

  skel.rodata.knob = 7;
  skel.rodata.legacy = { x: 3, y: -9, z: 12 };
  skel.bss.counter = 5n;
  skel.data_custom.arr = Array.from({ length: 20 }, (_, i) => -i);
  t.is(skel.rodata.knob, 7);
  t.deepEqual(skel.rodata.legacy, { x: 3, y: -9, z: 12 });
  t.false(skel.loaded);
  skel.load();
  t.true(skel.loaded);
  t.deepEqual(skel.obj.maps.filter((x) => x.internal).map((x) => x.name), ['rich.rodata', 'rich.bss', '.data.custom']);
  // After load: through the maps.
  t.is(skel.rodata.knob, 7);
  t.deepEqual(skel.rodata.legacy, { x: 3, y: -9, z: 12 });
  t.is(skel.bss.counter, 5n);
  skel.bss.counter = 6n;
  t.is(skel.bss.counter, 6n);
  t.is(skel.data_custom.arr[19], -19);
  t.throws(() => {
    skel.rodata.knob = 0;
  }, { message: 'frozen' });

  const v = sample();
  t.is(skel.maps.values.lookup(1), undefined);
  skel.maps.values.update(1, v);
  skel.maps.values.update(2, { ...v, tag: 2 });
  t.is(skel.maps.values.lookup(2)?.tag, 2);
  t.deepEqual([...skel.maps.values.keys()], [1, 2]);
  t.deepEqual([...skel.maps.values.entries()].map(([k, x]) => [k, x.delta]), [[1, -2], [2, -2]]);
  t.true(skel.maps.values.delete(1));
  t.false(skel.maps.values.delete(1));
  t.throws(() => { skel.maps.values.update(2, v, 1); }, { message: 'exists' });

  skel.maps.percpu.update(0, [{ a: 1, b: 2, c: 3 }, { a: 4, b: 5, c: 6 }]);
  t.deepEqual(skel.maps.percpu.lookup(0), [{ a: 1, b: 2, c: 3 }, { a: 4, b: 5, c: 6 }]);
  skel.maps.opaque.update(new Uint8Array([1, 2, 3, 4, 5, 6]), new Uint8Array([7, 8, 9]));
  t.deepEqual([...(skel.maps.opaque.lookup(new Uint8Array([1, 2, 3, 4, 5, 6])) ?? [])], [7, 8, 9]);
  skel.close();
  t.true(skel.obj.closed);
});
