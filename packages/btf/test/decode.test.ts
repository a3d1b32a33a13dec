import { existsSync, readFileSync } from 'node:fs';
import test from 'ava';
import fc from 'fast-check';
import { BtfBuilder, decodeBtf, dumpC, dumpJson, dumpRaw, encodeBtf, parseBtf, type Btf, type BtfTypeInput } from '@bpfkit/btf';
import { isBpfError } from '@bpfkit/kernel-api';
import { INT, blob, everyKind } from './helpers.js';

// A clang-built XDP program's .BTF section (examples/build.sh): DATASEC sizes are still 0.
const XDP = new Uint8Array(readFileSync(new URL('../../../examples/xdp_count.btf', import.meta.url)));

/** Runs every query and dump on every id; only BpfError may come out. */
function exercise(btf: Btf): void {
  const only = (f: () => unknown): void => {
    try {
      f();
    } catch (e) {
      if (!isBpfError(e)) throw e;
    }
  };
  for (let id = 0; id < btf.nrTypes + 2; id++) {
    only(() => btf.size(id));
    only(() => btf.resolve(id));
    only(() => btf.resolvedId(id));
    only(() => btf.resolvedSize(id));
    only(() => btf.members(id));
  }
  dumpRaw(btf);
  dumpC(btf);
  dumpJson(btf);
}

test('clang .BTF (DATASEC size=0) decodes, dumps raw and C, and re-encodes byte for byte', (t) => {
  const btf = decodeBtf(XDP);
  t.false(btf.validated);
  t.is(btf.types.length, 24);
  const raw = dumpRaw(btf).split('\n');
  t.is(raw[0], "[1] PTR '(anon)' type_id=3");
  t.true(raw.includes("[11] STRUCT 'pkt_stats' size=16 vlen=2"));
  t.true(raw.includes("[19] FUNC 'count_packets' type_id=18 linkage=global"));
  t.true(raw.includes("[23] DATASEC '.maps' size=0 vlen=1"));
  t.true(raw.includes("\ttype_id=15 offset=0 size=32 (VAR 'stats')"));
  const c = dumpC(btf);
  t.true(c.includes('struct pkt_stats {\n\t__u64 packets;\n\t__u64 bytes;\n};'));
  t.true(c.includes('typedef unsigned int __u32;'));
  t.is(dumpJson(btf).length, 24);
  t.deepEqual(Buffer.from(encodeBtf(btf)), Buffer.from(XDP));
  t.is(btf.size(15), 32, 'VAR stats has its struct size');
  t.is(btf.size(3), 8, 'int[2]');
  t.is(btf.resolvedId(7), 9, 'pointer to typedef __u32 resolves to unsigned int');
  t.is(btf.size(23), 0);
});

test('parseBtf still refuses clang .BTF with the kernel message', (t) => {
  const e = t.throws(() => parseBtf(XDP));
  t.true(isBpfError(e, 'EINVAL'));
  t.is(e?.message, '[23] DATASEC .maps size=0 vlen=1 size == 0');
});

test('on valid BTF decodeBtf gives the same types and query answers as parseBtf', (t) => {
  const bytes = blob(...everyKind);
  const parsed = parseBtf(bytes);
  const decoded = decodeBtf(bytes);
  t.true(parsed.validated);
  t.deepEqual(decoded.types, parsed.types);
  for (let id = 0; id <= parsed.nrTypes; id++) {
    t.deepEqual(decoded.typeIdSize(id), parsed.typeIdSize(id), `typeIdSize(${id})`);
    t.is(decoded.resolvedId(id), parsed.resolvedId(id), `resolvedId(${id})`);
    t.is(decoded.resolvedSize(id), parsed.resolvedSize(id), `resolvedSize(${id})`);
    t.deepEqual(decoded.resolve(id), parsed.resolve(id), `resolve(${id})`);
  }
  t.is(dumpC(decoded), dumpC(parsed));
  t.is(dumpRaw(decoded), dumpRaw(parsed));
});

test('type loops: queries throw ELOOP, dumps terminate', (t) => {
  const btf = decodeBtf(
    blob(
      { kind: 'TYPEDEF', name: 'a', type: 2, kflag: false }, // 1
      { kind: 'CONST', name: '', type: 1, kflag: false }, // 2
      { kind: 'ARRAY', name: '', type: 3, indexType: 3, nelems: 2 }, // 3: an array of itself
      { kind: 'STRUCT', name: '', size: 4, kflag: false, members: [{ name: 'self', type: 4, bitsOffset: 0, bitfieldSize: 0 }] }, // 4
      { kind: 'TYPEDEF', name: 's', type: 4, kflag: false }, // 5
      { kind: 'PTR', name: '', type: 1 }, // 6
    ),
  );
  t.true(isBpfError(t.throws(() => btf.resolve(1)), 'ELOOP'));
  t.true(isBpfError(t.throws(() => btf.size(2)), 'ELOOP'));
  t.true(isBpfError(t.throws(() => btf.size(3)), 'ELOOP'));
  t.true(isBpfError(t.throws(() => btf.resolvedId(6)), 'ELOOP'));
  t.is(btf.size(6), 8, 'a pointer has a size whatever it points to');
  t.is(btf.size(4), 4);
  t.true(dumpC(btf).includes('typedef struct {'));
  t.notThrows(() => {
    exercise(btf);
  });
});

test('dangling ids, unsized elements and oversized arrays throw BpfError', (t) => {
  const btf = decodeBtf(
    blob(
      INT, // 1
      { kind: 'TYPEDEF', name: 'gone', type: 99, kflag: false }, // 2
      { kind: 'FUNC_PROTO', name: '', type: 0, params: [] }, // 3
      { kind: 'ARRAY', name: '', type: 3, indexType: 1, nelems: 4 }, // 4
      { kind: 'ARRAY', name: '', type: 1, indexType: 1, nelems: 0x40000000 }, // 5: 4 GiB
      { kind: 'VAR', name: 'v', type: 2, linkage: 0 }, // 6
    ),
  );
  t.true(isBpfError(t.throws(() => btf.size(2)), 'EINVAL'));
  t.true(isBpfError(t.throws(() => btf.resolve(2)), 'EINVAL'));
  t.true(isBpfError(t.throws(() => btf.size(6)), 'EINVAL'));
  t.true(isBpfError(t.throws(() => btf.size(4)), 'EINVAL'));
  t.true(isBpfError(t.throws(() => btf.size(5)), 'E2BIG'));
  t.is(btf.size(99), undefined, 'an unknown id is a miss, not an error');
  t.is(btf.resolve(99), undefined);
  t.true(dumpRaw(btf).includes("[2] TYPEDEF 'gone' type_id=99"));
  t.true(dumpC(btf).includes('/* invalid type 99 */'));
});

test('malformed bytes give EINVAL with what is wrong', (t) => {
  const good = blob(INT, { kind: 'STRUCT', name: 's', size: 4, kflag: false, members: [{ name: 'x', type: 1, bitsOffset: 0, bitfieldSize: 0 }] });
  const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const msg = (bytes: Uint8Array): string | undefined => {
    const e = t.throws(() => decodeBtf(bytes));
    t.true(isBpfError(e, 'EINVAL'), e?.message);
    return e?.message;
  };
  t.regex(msg(good.subarray(0, 10)) ?? '', /^BTF header not found/);
  const magic = good.slice();
  magic[0] = 0;
  t.regex(msg(magic) ?? '', /^Invalid magic/);
  const kind = good.slice();
  view(kind).setUint32(24 + 4, 0x1e000000, true);
  t.is(msg(kind), '[1] Invalid kind:30');
  const vlen = good.slice();
  view(vlen).setUint32(24 + 16 + 4, 0x04000005, true);
  t.is(msg(vlen), '[2] STRUCT vlen=5 needs 60 more bytes, 12 left in the type section');
  const name = good.slice();
  view(name).setUint32(24, 0x10000, true);
  t.is(msg(name), '[1] INT Invalid name_offset:65536');
  const member = good.slice();
  view(member).setUint32(24 + 16 + 12, 0x10000, true);
  t.is(msg(member), '[2] STRUCT s member #0 Invalid name_offset:65536');
  const strings = good.slice();
  strings[strings.length - 1] = 0x41;
  t.regex(msg(strings) ?? '', /^Invalid string section/);
  const section = good.slice();
  view(section).setUint32(20, 1000, true);
  t.regex(msg(section) ?? '', /^String section .* runs past the data/);
});

test('split BTF and other-endian blobs decode', (t) => {
  const base = parseBtf(blob(INT));
  const b = new BtfBuilder({ base });
  b.add({ kind: 'DATASEC', name: '.bss', size: 0, vars: [] });
  const split = decodeBtf(b.encode(), { base });
  t.is(split.startId, 2);
  t.is(split.type(2)?.name, '.bss');
  t.is(split.size(1), 4, 'base types answer too');
  const big = encodeBtf(decodeBtf(XDP), { littleEndian: false });
  t.true(isBpfError(t.throws(() => decodeBtf(big)), 'EINVAL'));
  t.deepEqual(decodeBtf(big, { allowSwapped: true }).types, decodeBtf(XDP).types);
});

test('property: decodeBtf on random bytes only throws BpfError', (t) => {
  const header = (rest: Uint8Array): Uint8Array => {
    const out = new Uint8Array(24 + rest.length);
    const v = new DataView(out.buffer);
    v.setUint16(0, 0xeb9f, true);
    v.setUint8(2, 1);
    v.setUint32(4, 24, true);
    const split = rest.length >> 1;
    v.setUint32(12, split, true);
    v.setUint32(16, split, true);
    v.setUint32(20, rest.length - split, true);
    out.set(rest, 24);
    return out;
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, withHeader) => {
      try {
        exercise(decodeBtf(withHeader ? header(bytes) : bytes));
      } catch (e) {
        if (!isBpfError(e)) throw e;
      }
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('property: mutated blobs only fail with BpfError; what decodes answers every query', (t) => {
  for (const good of [XDP, blob(...everyKind)]) {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat({ max: good.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }),
        fc.nat({ max: good.length }),
        (edits, cut) => {
          const bytes = good.slice(0, cut === 0 ? good.length : cut);
          for (const { at, value } of edits) if (at < bytes.length) bytes[at] = value;
          try {
            exercise(decodeBtf(bytes));
          } catch (e) {
            if (!isBpfError(e)) throw e;
          }
        },
      ),
      { numRuns: 2000 },
    );
  }
  t.pass();
});

// Any type graph, references dangling or looping included: decode(encode(x)) is x.
const NAMES = ['', 'a', 'x_1', '.maps', 'été'];
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ref = fc.integer({ min: 0, max: 12 });
const name = fc.constantFrom(...NAMES);
const typeInput: fc.Arbitrary<BtfTypeInput> = fc.oneof(
  fc.record({ kind: fc.constant('INT' as const), name, size: u32, encoding: fc.integer({ min: 0, max: 15 }), bitsOffset: fc.integer({ min: 0, max: 255 }), bits: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('PTR' as const), name, type: ref }),
  fc.record({ kind: fc.constantFrom('TYPEDEF' as const, 'VOLATILE' as const, 'CONST' as const, 'RESTRICT' as const, 'TYPE_TAG' as const), name, type: ref, kflag: fc.boolean() }),
  fc.record({ kind: fc.constant('ARRAY' as const), name, type: ref, indexType: ref, nelems: u32 }),
  fc.boolean().chain((kflag) =>
    fc.record({
      kind: fc.constantFrom('STRUCT' as const, 'UNION' as const),
      name,
      size: u32,
      kflag: fc.constant(kflag),
      members: fc.array(
        fc.record({ name, type: ref, bitsOffset: kflag ? fc.integer({ min: 0, max: 0xffffff }) : u32, bitfieldSize: kflag ? fc.integer({ min: 0, max: 255 }) : fc.constant(0) }),
        { maxLength: 4 },
      ),
    }),
  ),
  fc.boolean().chain((signed) =>
    fc.record({
      kind: fc.constant('ENUM' as const),
      name,
      size: u32,
      signed: fc.constant(signed),
      values: fc.array(fc.record({ name, value: signed ? fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) : u32 }), { maxLength: 4 }),
    }),
  ),
  fc.boolean().chain((signed) =>
    fc.record({
      kind: fc.constant('ENUM64' as const),
      name,
      size: u32,
      signed: fc.constant(signed),
      values: fc.array(fc.record({ name, value: signed ? fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }) : fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }), { maxLength: 3 }),
    }),
  ),
  fc.record({ kind: fc.constant('FWD' as const), name, union: fc.boolean() }),
  fc.record({ kind: fc.constant('FUNC' as const), name, type: ref, linkage: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ kind: fc.constant('FUNC_PROTO' as const), name, type: ref, params: fc.array(fc.record({ name, type: ref }), { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('VAR' as const), name, type: ref, linkage: u32 }),
  fc.record({ kind: fc.constant('DATASEC' as const), name, size: u32, vars: fc.array(fc.record({ type: ref, offset: u32, size: u32 }), { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('FLOAT' as const), name, size: u32 }),
  fc.record({ kind: fc.constant('DECL_TAG' as const), name, type: ref, componentIdx: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), kflag: fc.boolean() }),
);

/** Key order aside, ids and string offsets dropped (the builder assigns them). */
const shape = (v: unknown): string =>
  JSON.stringify(v, (k, x: unknown) => {
    if (k === 'id' || k === 'nameOff') return undefined;
    if (typeof x === 'bigint') return `${x}n`;
    if (x !== null && typeof x === 'object' && !Array.isArray(x)) return Object.fromEntries(Object.entries(x).sort(([p], [q]) => p.localeCompare(q)));
    return x;
  });

test('property: decode(encode(x)) == x for any type graph, and encode(decode(b)) == b', (t) => {
  fc.assert(
    fc.property(fc.array(typeInput, { minLength: 1, maxLength: 12 }), fc.boolean(), (types, le) => {
      const b = new BtfBuilder();
      for (const ty of types) b.add(ty);
      const bytes = b.encode({ littleEndian: le });
      const btf = decodeBtf(bytes, { allowSwapped: true });
      if (shape(btf.types) !== shape(types)) throw new Error(`round trip changed the types:\n${shape(btf.types)}\n${shape(types)}`);
      if (Buffer.compare(Buffer.from(encodeBtf(btf)), Buffer.from(bytes)) !== 0) throw new Error('re-encoding changed the bytes');
      exercise(btf);
    }),
    { numRuns: 1500 },
  );
  t.pass();
});

const VMLINUX = '/sys/kernel/btf/vmlinux';
if (!existsSync(VMLINUX)) {
  test.skip('vmlinux: decodeBtf agrees with parseBtf on every type size: skipped, /sys/kernel/btf/vmlinux is not there', () => {});
} else test('vmlinux: decodeBtf agrees with parseBtf on every type size', (t) => {
  const path = VMLINUX;
  const bytes = new Uint8Array(readFileSync(path));
  const start = performance.now();
  const decoded = decodeBtf(bytes);
  t.log(`vmlinux: decoded ${decoded.types.length} types in ${(performance.now() - start).toFixed(0)} ms`);
  const parsed = parseBtf(bytes);
  let mismatches = 0;
  for (let id = 1; id < parsed.nrTypes; id++) {
    if (decoded.size(id) !== parsed.size(id) || decoded.resolvedId(id) !== parsed.resolvedId(id)) mismatches++;
  }
  t.is(mismatches, 0);
});
