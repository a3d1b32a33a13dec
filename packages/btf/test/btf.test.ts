import { existsSync, readFileSync } from 'node:fs';
import test from 'ava';
import fc from 'fast-check';
import { BtfBuilder, dumpC, dumpRaw, encodeBtf, parseBtf } from '@bpfkit/btf';
import { isBpfError } from '@bpfkit/kernel-api';
import { INT, blob, everyKind } from './helpers.js';

test('every kind parses, validates and reads back as built', (t) => {
  const btf = parseBtf(blob(...everyKind));
  t.is(btf.types.length, everyKind.length);
  everyKind.forEach((spec, i) => {
    const scalars = Object.fromEntries(Object.entries(spec).filter(([k]) => k !== 'members' && k !== 'values' && k !== 'params'));
    t.like(btf.type(i + 1), scalars);
  });
  t.deepEqual(btf.members(7).map((m) => [m.name, m.bitsOffset, m.bitfieldSize]), [['flags', 0, 3], ['mode', 3, 5], ['next', 64, 0]]);
  const e = btf.type(5);
  t.deepEqual(e?.kind === 'ENUM' ? e.values.map((v) => v.value) : [], [-1, 2]);
  const e64 = btf.type(20);
  t.deepEqual(e64?.kind === 'ENUM64' ? e64.values.map((v) => v.value) : [], [1n << 40n, (1n << 64n) - 1n]);
});

test('queries: resolve, size, byName, name, str', (t) => {
  const btf = parseBtf(blob(...everyKind));
  t.is(btf.resolve(9)?.id, 1, 'const volatile int resolves to int');
  t.is(btf.resolve(7)?.type.kind, 'STRUCT');
  t.is(btf.size(7), 16, 'typedef size is its struct size');
  t.is(btf.size(13), 16, 'array size is elem size × nelems (resolved_sizes)');
  t.is(btf.size(2), 8);
  t.is(btf.size(14), 16, 'a var has its type size');
  t.is(btf.size(6), undefined, 'FWD has no size');
  t.is(btf.size(11), undefined, 'FUNC_PROTO has no size');
  t.is(btf.byName('node'), 3);
  t.is(btf.byName('node', 'UNION'), undefined);
  t.deepEqual(btf.findAll('int'), [1]);
  t.is(btf.name(12), 'walk');
  t.is(btf.str(btf.type(1)?.nameOff ?? 0), 'int');
  t.is(btf.type(999), undefined);
  t.true(isBpfError(t.throws(() => btf.typeOrThrow(999)), 'ENOENT'));
  t.is(btf.resolvedId(12), 11);
  t.is(btf.nrTypes, everyKind.length + 1);
  t.is(btf.kind(0), 'VOID');
  t.is(btf.kind(7), 'TYPEDEF');
  t.is(btf.kind(999), undefined);
});

test('types read in place are the objects an eager decode builds', (t) => {
  const bytes = blob(...everyKind);
  const lazy = parseBtf(bytes);
  const ids = Array.from({ length: everyKind.length }, (_, i) => i + 1);
  t.deepEqual(ids.map((id) => lazy.kind(id)), everyKind.map((k) => k.kind), 'kinds without building a type');
  t.deepEqual(ids.map((id) => lazy.name(id)), everyKind.map((k) => k.name), 'names without building a type');
  const fresh = parseBtf(bytes);
  const backwards = [...ids].reverse().map((id) => fresh.type(id));
  t.deepEqual(backwards.reverse(), [...lazy.types], 'built one by one in any order or all at once, the same types');
  t.is(lazy.type(3), lazy.types[2], 'one object per type');
});

test('builder dedups strings; parse(write(x)) == x and write(parse(blob)) == blob', (t) => {
  const b = new BtfBuilder();
  const a = b.addString('x');
  t.is(b.addString('x'), a);
  const bytes = blob(...everyKind);
  const again = encodeBtf(parseBtf(bytes));
  t.deepEqual(Buffer.from(again), Buffer.from(bytes));
  const big = encodeBtf(parseBtf(bytes), { littleEndian: false });
  t.true(isBpfError(t.throws(() => parseBtf(big)), 'EINVAL'), 'the kernel reads other-endian BTF as bad magic');
  const swapped = parseBtf(big, { allowSwapped: true });
  t.false(swapped.littleEndian);
  t.deepEqual(swapped.types, parseBtf(bytes).types);
  t.deepEqual(Buffer.from(encodeBtf(swapped)), Buffer.from(big));
});

test('split BTF continues type ids and string offsets after its base', (t) => {
  const base = parseBtf(blob(INT, { kind: 'STRUCT', name: 'task', size: 4, kflag: false, members: [{ name: 'pid', type: 1, bitsOffset: 0, bitfieldSize: 0 }] }));
  const b = new BtfBuilder({ base });
  const ptr = b.add({ kind: 'PTR', name: '', type: 2 });
  const td = b.add({ kind: 'TYPEDEF', name: 'task_p', type: ptr, kflag: false });
  t.is(ptr, 3);
  const split = parseBtf(b.encode(), { base });
  t.is(split.startId, 3);
  t.is(split.type(td)?.name, 'task_p');
  t.is(split.resolve(td)?.type.kind, 'PTR');
  t.is(split.byName('task'), 2, 'lookups search the base first');
  t.is(split.kind(2), 'STRUCT', 'kinds of base ids come from the base');
  t.is(split.name(2), 'task');
  t.is(split.size(td), 8);
  t.true((split.type(td)?.nameOff ?? 0) >= base.strings.length);
  const bad = new BtfBuilder({ base });
  bad.add({ kind: 'PTR', name: '', type: 9 });
  t.is(t.throws(() => parseBtf(bad.encode(), { base }))?.message, '[3] PTR (anon) type_id=9 Invalid type_id');
});

test('oversized blobs give E2BIG before anything else', (t) => {
  const e = t.throws(() => parseBtf(new Uint8Array(16 * 1024 * 1024 + 1)));
  t.true(isBpfError(e, 'E2BIG'));
});

test('log attributes: a log size without a level, or unknown level bits, give EINVAL', (t) => {
  const bytes = blob(INT);
  t.true(isBpfError(t.throws(() => parseBtf(bytes, { logLevel: 0, logSize: 100 })), 'EINVAL'));
  t.true(isBpfError(t.throws(() => parseBtf(bytes, { logLevel: 16 })), 'EINVAL'));
  t.true(isBpfError(t.throws(() => parseBtf(bytes, { logLevel: 1, logSize: 10 })), 'ENOSPC'));
  t.is(parseBtf(bytes, { logLevel: 1 }).log.split('\n').at(-2), '[1] INT int size=4 bits_offset=0 nr_bits=32 encoding=SIGNED');
});

test('raw dump reads like bpftool btf dump', (t) => {
  const lines = dumpRaw(parseBtf(blob(...everyKind))).split('\n');
  t.is(lines[0], "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED");
  t.is(lines[1], "[2] PTR '(anon)' type_id=3");
  t.is(lines[2], "[3] STRUCT 'node' size=16 vlen=3");
  t.is(lines[3], "\t'flags' type_id=1 bits_offset=0 bitfield_size=3");
  t.true(lines.includes("[5] ENUM 'color' encoding=SIGNED size=4 vlen=2"));
  t.true(lines.includes("[12] FUNC 'walk' type_id=11 linkage=global"));
  t.true(lines.includes("[14] VAR 'table' type_id=13, linkage=global"));
  t.true(lines.includes("\ttype_id=14 offset=0 size=16 (VAR 'table')"));
  t.true(lines.includes("\t'MAX' val=18446744073709551615ULL"));
});

test('C dump declares records, bitfields, typedefs and function pointers', (t) => {
  const c = dumpC(parseBtf(blob(...everyKind)));
  t.true(c.includes('struct node {\n\tint flags: 3;\n\tint mode: 5;\n\tstruct node *next;\n};'));
  t.true(c.includes('typedef struct node node_t;'));
  t.true(c.includes('enum color {\n\tRED = -1,\n\tGREEN = 2,\n};'));
  t.true(c.includes('struct later;'));
  t.true(c.includes('\tHUGE = 1099511627776ULL,'));
});

test('property: random bytes never throw anything but BpfError', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
      try {
        parseBtf(bytes, { logLevel: 1 });
      } catch (e) {
        if (!isBpfError(e)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('property: mutated valid blobs only fail with BpfError, and what parses round-trips', (t) => {
  const good = blob(...everyKind);
  fc.assert(
    fc.property(
      fc.array(fc.record({ at: fc.nat({ max: good.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }),
      fc.nat({ max: good.length }),
      (edits, cut) => {
        const bytes = good.slice(0, cut === 0 ? good.length : cut);
        for (const { at, value } of edits) if (at < bytes.length) bytes[at] = value;
        try {
          const btf = parseBtf(bytes, { logLevel: 1 });
          dumpRaw(btf);
          dumpC(btf);
          if (Buffer.compare(Buffer.from(encodeBtf(btf)), Buffer.from(bytes)) !== 0) {
            // Only non-canonical blobs (junk in INT data bits, hdr_len padding) may differ.
            parseBtf(encodeBtf(btf));
          }
        } catch (e) {
          if (!isBpfError(e)) throw e;
        }
      },
    ),
    { numRuns: 3000 },
  );
  t.pass();
});

const VMLINUX = '/sys/kernel/btf/vmlinux';
if (!existsSync(VMLINUX)) {
  test.skip('vmlinux BTF parses and validates: skipped, /sys/kernel/btf/vmlinux is not there', () => {});
} else test('vmlinux BTF parses and validates', (t) => {
  const path = VMLINUX;
  const bytes = readFileSync(path);
  const start = performance.now();
  const btf = parseBtf(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
  const ms = performance.now() - start;
  t.log(`vmlinux: ${btf.types.length} types, ${bytes.length} bytes, parsed and validated in ${ms.toFixed(0)} ms`);
  const task = btf.byName('task_struct', 'STRUCT');
  t.truthy(task);
  t.true((btf.size(task ?? 0) ?? 0) > 1000);
  t.deepEqual(Buffer.from(encodeBtf(btf)), bytes);
});

