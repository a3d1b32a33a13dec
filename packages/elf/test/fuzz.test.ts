import test from 'ava';
import fc from 'fast-check';
import { BpfError } from '@bpfkit/kernel-api';
import { BtfBuilder, decodeBtf } from '@bpfkit/btf';
import { loadObjectSpec, readElf, specToJson, ShType, typeSize } from '@bpfkit/elf';
import { FIXTURES, fixture } from './helpers.js';

/** No single case may take longer than this (a loop that scales with a corrupted count would). */
const CASE_MS = 2000;

const objects = [...FIXTURES.map((n) => ({ name: n, bytes: fixture(n) })), { name: 'xdp_count', bytes: new Uint8Array(exampleBytes()) }];

function exampleBytes(): Uint8Array {
  return fixture('../../../../examples/xdp_count') // the CLI's example object;
}

/** Loads the bytes; anything but a spec or a BpfError, or a slow case, is a failure with the reason. */
function outcome(bytes: Uint8Array): string {
  const started = performance.now();
  let result: string;
  try {
    specToJson(loadObjectSpec(bytes));
    result = 'ok';
  } catch (e) {
    if (!(e instanceof BpfError)) throw new Error(`not a BpfError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
    result = `${e.code} ${e.reason}`;
  }
  const ms = performance.now() - started;
  if (ms > CASE_MS) throw new Error(`case took ${ms.toFixed(0)} ms`);
  return result;
}

/** Where the interesting fields of one object live. */
interface Layout {
  readonly shoff: number;
  readonly sections: readonly { offset: number; size: number; type: number; name: string; headerAt: number; entsize: number }[];
}

function layoutOf(bytes: Uint8Array): Layout {
  const elf = readElf(bytes);
  const shoff = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(40, true));
  return {
    shoff,
    sections: elf.sections.map((s) => ({ offset: s.offset, size: s.size, type: s.type, name: s.name, headerAt: shoff + s.index * 64, entsize: s.entsize })),
  };
}

const layouts = objects.map((o) => layoutOf(o.bytes));

/** Boundary values a corrupted field takes. */
function boundaries(len: number): bigint[] {
  return [0n, 1n, 2n, 3n, 4n, 7n, 8n, 16n, 24n, 63n, 64n, 0x7fn, 0x80n, 0xffn, 0x100n, 0xffffn, 0x10000n, 0x7fffffffn, 0x80000000n, 0xffffffffn,
    0x100000000n, 0x1fffffffffffffn, 0x20000000000000n, 0x7fffffffffffffffn, 0xffffffffffffffffn, BigInt(len), BigInt(len - 1), BigInt(len + 1)];
}

type Width = 1 | 2 | 4 | 8;

function put(b: Uint8Array, at: number, width: Width, value: bigint): void {
  if (at < 0 || at + width > b.length) return;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const masked = BigInt.asUintN(width * 8, value);
  if (width === 1) v.setUint8(at, Number(masked));
  else if (width === 2) v.setUint16(at, Number(masked), true);
  else if (width === 4) v.setUint32(at, Number(masked), true);
  else v.setBigUint64(at, masked, true);
}

/** A field of a structure: offset inside it and width. */
type Field = readonly [number, Width];

const EHDR_FIELDS: readonly Field[] = [[16, 2], [18, 2], [40, 8], [58, 2], [60, 2], [62, 2]];
const SHDR_FIELDS: readonly Field[] = [[0, 4], [4, 4], [8, 8], [24, 8], [32, 8], [40, 4], [44, 4], [56, 8]];
const SYM_FIELDS: readonly Field[] = [[0, 4], [4, 1], [5, 1], [6, 2], [8, 8], [16, 8]];
const REL_FIELDS: readonly Field[] = [[0, 8], [8, 4], [12, 4]];
const BTF_HDR_FIELDS: readonly Field[] = [[0, 2], [2, 1], [3, 1], [4, 4], [8, 4], [12, 4], [16, 4], [20, 4]];
const BTF_EXT_HDR_FIELDS: readonly Field[] = [[0, 2], [2, 1], [4, 4], [8, 4], [12, 4], [16, 4], [20, 4], [24, 4], [28, 4]];

/** The mutations a structure-aware fuzzer makes; each picks its target from the object's layout. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('ehdr' as const), field: fc.nat(), value: fc.nat() }),
  fc.record({ kind: fc.constant('shdr' as const), section: fc.nat(), field: fc.nat(), value: fc.nat() }),
  fc.record({ kind: fc.constant('sym' as const), entry: fc.nat(), field: fc.nat(), value: fc.nat() }),
  fc.record({ kind: fc.constant('rel' as const), section: fc.nat(), entry: fc.nat(), field: fc.nat(), value: fc.nat() }),
  fc.record({ kind: fc.constant('btf-hdr' as const), field: fc.nat(), value: fc.nat() }),
  fc.record({ kind: fc.constant('btf-body' as const), at: fc.nat(), value: fc.nat() }),
  fc.record({ kind: fc.constant('btf-ext' as const), field: fc.nat(), value: fc.nat() }),
  fc.record({ kind: fc.constant('btf-ext-body' as const), at: fc.nat(), value: fc.nat() }),
  fc.record({ kind: fc.constant('code' as const), at: fc.nat(), value: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('btf-byte' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function pick<T>(list: readonly T[], i: number): T | undefined {
  return list.length === 0 ? undefined : list[i % list.length];
}

/** Applies one mutation in place; returns the (possibly shorter) bytes. */
function apply(b: Uint8Array, layout: Layout, m: Mutation): Uint8Array {
  const values = boundaries(b.length);
  const sectionNamed = (name: string) => layout.sections.find((s) => s.name === name && s.type === ShType.PROGBITS);
  const value = (i: number): bigint => values[i % values.length] ?? 0n;
  switch (m.kind) {
    case 'ehdr': {
      const f = pick(EHDR_FIELDS, m.field);
      if (f !== undefined) put(b, f[0], f[1], value(m.value));
      return b;
    }
    case 'shdr': {
      const s = pick(layout.sections, m.section);
      const f = pick(SHDR_FIELDS, m.field);
      if (s !== undefined && f !== undefined) put(b, s.headerAt + f[0], f[1], value(m.value));
      return b;
    }
    case 'sym': {
      const symtab = layout.sections.find((s) => s.type === ShType.SYMTAB);
      const f = pick(SYM_FIELDS, m.field);
      if (symtab !== undefined && f !== undefined && symtab.size >= 24) put(b, symtab.offset + (m.entry % (symtab.size / 24)) * 24 + f[0], f[1], value(m.value));
      return b;
    }
    case 'rel': {
      const rel = pick(layout.sections.filter((s) => s.type === ShType.REL && s.size >= 16), m.section);
      const f = pick(REL_FIELDS, m.field);
      if (rel !== undefined && f !== undefined) put(b, rel.offset + (m.entry % (rel.size / 16)) * 16 + f[0], f[1], value(m.value));
      return b;
    }
    case 'btf-hdr':
    case 'btf-ext': {
      const sec = sectionNamed(m.kind === 'btf-hdr' ? '.BTF' : '.BTF.ext');
      const f = pick(m.kind === 'btf-hdr' ? BTF_HDR_FIELDS : BTF_EXT_HDR_FIELDS, m.field);
      if (sec !== undefined && f !== undefined) put(b, sec.offset + f[0], f[1], value(m.value));
      return b;
    }
    case 'btf-body':
    case 'btf-ext-body': {
      const sec = sectionNamed(m.kind === 'btf-body' ? '.BTF' : '.BTF.ext');
      // Half the time a boundary value, half the time any value (BTF info words pack kind, vlen and kflag).
      if (sec !== undefined && sec.size >= 4) put(b, sec.offset + (m.at % (sec.size >> 2)) * 4, 4, m.value % 2 === 0 ? value(m.value >> 1) : BigInt(m.value >> 1) * 3n);
      return b;
    }
    case 'code': {
      const code = pick(layout.sections.filter((s) => (s.type === ShType.PROGBITS && s.size >= 8 && s.name !== '.BTF' && s.name !== '.BTF.ext')), m.at);
      if (code !== undefined) put(b, code.offset + ((m.at >> 4) % (code.size >> 3)) * 8 + (m.value & 7), 1, value(m.value >> 3));
      return b;
    }
    case 'btf-byte': {
      const sec = pick(layout.sections.filter((s) => s.name === '.BTF' || s.name === '.BTF.ext'), m.at);
      if (sec !== undefined && sec.size > 0) put(b, sec.offset + ((m.at >> 1) % sec.size), 1, BigInt(m.value));
      return b;
    }
    case 'flip': {
      const at = m.at % b.length;
      b[at] = (b[at] ?? 0) ^ (1 << m.bit);
      return b;
    }
    case 'truncate':
      return b.subarray(0, m.at % b.length);
  }
}

test('random bytes give a spec or a BpfError', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 1024 }), (bytes) => {
    outcome(bytes);
  }), { numRuns: 500 });
  t.pass();
});

test('every fixture with boundary values in its headers, symbols, relocations, BTF and code gives a spec or a BpfError, quickly', (t) => {
  const started = Date.now();
  const seen = new Set<string>();
  fc.assert(fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, mutations) => {
    const i = which % objects.length;
    const src = objects[i];
    const layout = layouts[i];
    if (src === undefined || layout === undefined) return;
    let b: Uint8Array = src.bytes.slice();
    for (const m of mutations) b = apply(b, layout, m);
    seen.add(outcome(b));
  }), { numRuns: 3000 });
  t.log(`${String(seen.size)} distinct outcomes in ${String(Date.now() - started)} ms`);
  t.true(seen.size > 10);
});

test('each single field of each section header, set to each boundary value, gives a spec or a BpfError', (t) => {
  // Two objects cover the section kinds (maps, .rodata, map-in-map, prog arrays, .kconfig externs, subprograms); all eight take too long.
  for (const name of ['xdp_filter', 'map_values']) {
    const i = objects.findIndex((o) => o.name === name);
    const o = objects[i];
    const layout = layouts[i];
    if (o === undefined || layout === undefined) continue;
    const values = boundaries(o.bytes.length);
    for (const s of layout.sections) {
      for (const [off, width] of SHDR_FIELDS) {
        for (const v of values) {
          const b = o.bytes.slice();
          put(b, s.headerAt + off, width, v);
          outcome(b);
        }
      }
    }
  }
  t.pass();
});

test('every truncation of a small fixture gives a spec or a BpfError', (t) => {
  const src = fixture('socket_filter');
  for (let len = 0; len < src.length; len++) outcome(src.subarray(0, len));
  t.pass();
});

interface RawSection {
  readonly name: string;
  readonly type: number;
  readonly data: Uint8Array;
  readonly flags?: number;
  readonly link?: number;
  readonly info?: number;
  readonly entsize?: number;
}

/** A minimal ELF64 relocatable BPF object with these sections (after the null one) and a section name table. */
function buildElf(sections: readonly RawSection[]): Uint8Array {
  const names = ['', ...sections.map((s) => s.name), '.shstrtab'];
  const nameOffs: number[] = [];
  let nameLen = 0;
  for (const n of names) {
    nameOffs.push(nameLen);
    nameLen += Buffer.byteLength(n) + 1;
  }
  const all: RawSection[] = [...sections, { name: '.shstrtab', type: ShType.STRTAB, data: Buffer.from(`${names.join('\0')}\0`) }];
  const placed: number[] = [];
  let end = 64;
  for (const s of all) {
    end = (end + 7) & ~7;
    placed.push(end);
    end += s.data.length;
  }
  const shoff = (end + 7) & ~7;
  const out = Buffer.alloc(shoff + 64 * (all.length + 1));
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  out.writeUInt16LE(1, 16); // ET_REL
  out.writeUInt16LE(247, 18); // EM_BPF
  out.writeUInt32LE(1, 20);
  out.writeBigUInt64LE(BigInt(shoff), 40);
  out.writeUInt16LE(64, 52);
  out.writeUInt16LE(64, 58);
  out.writeUInt16LE(all.length + 1, 60);
  out.writeUInt16LE(all.length, 62);
  all.forEach((s, i) => {
    const at = placed[i] ?? 0;
    out.set(s.data, at);
    const h = shoff + 64 * (i + 1);
    out.writeUInt32LE(nameOffs[i + 1] ?? 0, h);
    out.writeUInt32LE(s.type, h + 4);
    out.writeBigUInt64LE(BigInt(s.flags ?? 0), h + 8);
    out.writeBigUInt64LE(BigInt(at), h + 24);
    out.writeBigUInt64LE(BigInt(s.data.length), h + 32);
    out.writeUInt32LE(s.link ?? 0, h + 40);
    out.writeUInt32LE(s.info ?? 0, h + 44);
    out.writeBigUInt64LE(BigInt(s.entsize ?? 0), h + 56);
  });
  return new Uint8Array(out);
}

test('regression: many same-named symbols outside a data section and a DATASEC of as many variables load in linear time', (t) => {
  // Before symbols were indexed by section and name, every BTF variable scanned every symbol of
  // its name: this 1.4 MB object took about 20 s, one of 3 MB took minutes.
  const symbols = 60_000;
  const vars = 20_000;
  const syms = Buffer.alloc(24 * (symbols + 1));
  for (let i = 1; i <= symbols; i++) {
    syms.writeUInt32LE(1, 24 * i); // name 'v'
    syms[24 * i + 4] = 0x10; // STB_GLOBAL, STT_NOTYPE: never the variable's STT_OBJECT symbol
    syms.writeUInt16LE(2, 24 * i + 6); // in .data
    syms.writeBigUInt64LE(4n, 24 * i + 16);
  }
  const btf = new BtfBuilder();
  const int = btf.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
  const v = btf.add({ kind: 'VAR', name: 'v', type: int, linkage: 1 });
  btf.add({ kind: 'DATASEC', name: '.data', size: 4, vars: Array.from({ length: vars }, () => ({ type: v, offset: 0, size: 4 })) });
  const bytes = buildElf([
    { name: '.strtab', type: ShType.STRTAB, data: Buffer.from('\0v\0') },
    { name: '.data', type: ShType.PROGBITS, flags: 3, data: new Uint8Array(4) },
    { name: '.symtab', type: ShType.SYMTAB, data: syms, link: 1, info: 1, entsize: 24 },
    { name: '.BTF', type: ShType.PROGBITS, data: btf.encode() },
  ]);
  const started = performance.now();
  const spec = loadObjectSpec(bytes);
  const ms = performance.now() - started;
  t.is(spec.dataSections[0]?.variables.length, vars);
  t.true(ms < 3000, `${ms.toFixed(0)} ms`);
});

/** An object whose symbol table names every symbol at `offsetOf(i)` of one long string. */
function longNames(symbols: number, length: number, offsetOf: (i: number) => number): Uint8Array {
  const strtab = Buffer.alloc(length + 2, 0x61);
  strtab[0] = 0;
  strtab[length + 1] = 0;
  const syms = Buffer.alloc(24 * (symbols + 1));
  for (let i = 1; i <= symbols; i++) {
    syms.writeUInt32LE(offsetOf(i), 24 * i);
    syms[24 * i + 4] = 0x10; // a global undefined symbol: an extern
  }
  return buildElf([
    { name: '.strtab', type: ShType.STRTAB, data: strtab },
    { name: '.symtab', type: ShType.SYMTAB, data: syms, link: 1, info: 1, entsize: 24 },
  ]);
}

test('regression: symbols named at many offsets of one long string are refused quickly, not read as many long copies', (t) => {
  // 2000 names of ~200 KB each: this 250 KB object took 15 s and 600 MB before names were budgeted.
  const started = performance.now();
  t.is(outcome(longNames(2000, 200_000, (i) => 1 + (i % 1000))), 'EINVAL elf:bad-string');
  t.true(performance.now() - started < 1000);
});

test('regression: many symbols sharing one long name read it once', (t) => {
  const started = performance.now();
  const spec = loadObjectSpec(longNames(5000, 100_000, () => 1));
  t.is(spec.externs.length, 5000);
  t.is(spec.externs[0]?.name.length, 100_000);
  t.true(performance.now() - started < 2000);
});

/** `count` global programs in section `socket`, each calling the next (the last calls the first). */
function callChain(count: number): Uint8Array {
  const names = ['', ...Array.from({ length: count }, (_, i) => `f${String(i)}`)];
  const nameOffs: number[] = [];
  let at = 0;
  for (const n of names) {
    nameOffs.push(at);
    at += n.length + 1;
  }
  const code = Buffer.alloc(16 * count);
  const syms = Buffer.alloc(24 * (count + 1));
  const rels = Buffer.alloc(16 * count);
  for (let i = 0; i < count; i++) {
    code.set([0x85, 0x10, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x95], 16 * i); // call -1 (pseudo call); exit
    const y = 24 * (i + 1);
    syms.writeUInt32LE(nameOffs[i + 1] ?? 0, y);
    syms[y + 4] = 0x12; // STB_GLOBAL, STT_FUNC
    syms.writeUInt16LE(2, y + 6);
    syms.writeBigUInt64LE(BigInt(16 * i), y + 8);
    syms.writeBigUInt64LE(16n, y + 16);
    rels.writeBigUInt64LE(BigInt(16 * i), 16 * i);
    rels.writeUInt32LE(10, 16 * i + 8); // R_BPF_64_32
    rels.writeUInt32LE(1 + ((i + 1) % count), 16 * i + 12);
  }
  return buildElf([
    { name: '.strtab', type: ShType.STRTAB, data: Buffer.from(`${names.join('\0')}\0`) },
    { name: 'socket', type: ShType.PROGBITS, flags: 6, data: code },
    { name: '.symtab', type: ShType.SYMTAB, data: syms, link: 1, info: 1, entsize: 24 },
    { name: '.relsocket', type: ShType.REL, data: rels, link: 3, info: 2, entsize: 16 },
  ]);
}

test('regression: programs that all reach each other are refused once the call graphs get too large, not walked quadratically', (t) => {
  // 4000 programs in a chain took 16 s (16 M program/subprogram pairs) before the walks were budgeted.
  t.is(outcome(callChain(1500)), 'EINVAL elf:call-graph-too-large');
  const small = loadObjectSpec(callChain(100));
  t.is(small.programs.length, 100);
  t.deepEqual(small.programs.map((p) => p.subprograms.length), Array.from({ length: 100 }, () => 99));
});

test('regression: variables whose type sits at the end of a long typedef chain are sized once, not by walking the chain per variable', (t) => {
  // 10000 variables of a type behind 10000 typedefs took 36 s (a 240 KB object) before sizes were remembered.
  const chain = 5000;
  const vars = 5000;
  const btf = new BtfBuilder();
  let id = btf.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
  for (let i = 0; i < chain; i++) id = btf.add({ kind: 'TYPEDEF', name: 't', type: id, kflag: false });
  const v = btf.add({ kind: 'VAR', name: 'v', type: id, linkage: 1 });
  btf.add({ kind: 'DATASEC', name: '.data', size: 4, vars: Array.from({ length: vars }, () => ({ type: v, offset: 0, size: 4 })) });
  const bytes = buildElf([
    { name: '.strtab', type: ShType.STRTAB, data: Buffer.from('\0v\0') },
    { name: '.data', type: ShType.PROGBITS, flags: 3, data: new Uint8Array(4) },
    { name: '.BTF', type: ShType.PROGBITS, data: btf.encode() },
  ]);
  const started = performance.now();
  const spec = loadObjectSpec(bytes);
  t.is(spec.dataSections[0]?.variables.length, vars);
  t.is(spec.dataSections[0]?.variables[0]?.size, 4);
  t.true(performance.now() - started < 2000);
});

test('typeSize answers as btf.size does, errors included', (t) => {
  const btf = new BtfBuilder();
  const int = btf.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
  const arr = btf.add({ kind: 'ARRAY', name: '', type: int, indexType: int, nelems: 3 });
  const td = btf.add({ kind: 'TYPEDEF', name: 'triple', type: arr, kflag: false });
  const huge = btf.add({ kind: 'ARRAY', name: '', type: td, indexType: int, nelems: 0x40000000 });
  const fwd = btf.add({ kind: 'FWD', name: 'f', union: false });
  const bad = btf.add({ kind: 'ARRAY', name: '', type: fwd, indexType: int, nelems: 2 });
  const dangling = btf.add({ kind: 'CONST', name: '', type: 999, kflag: false });
  const decoded = decodeBtf(btf.encode());
  const outcomeOf = (f: () => number | undefined): string => {
    try {
      return String(f());
    } catch (e) {
      return e instanceof BpfError ? `${e.code} ${e.reason}` : 'other';
    }
  };
  for (const id of [0, int, arr, td, huge, fwd, bad, dangling, 5000]) {
    t.is(outcomeOf(() => typeSize(decoded, id)), outcomeOf(() => decoded.size(id)), `type ${String(id)}`);
  }
  t.is(typeSize(decoded, td), 12);
});

test('regression: many data sections of one name against many BTF types of that name look the DATASEC up once', (t) => {
  // 4000 sections named .data and 4000 BTF INTs named .data took 2.5 s (a 340 KB object); it grew quadratically.
  const btf = new BtfBuilder();
  for (let i = 0; i < 6000; i++) btf.add({ kind: 'INT', name: '.data', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
  const sections: RawSection[] = [{ name: '.BTF', type: ShType.PROGBITS, data: btf.encode() }];
  for (let i = 0; i < 6000; i++) sections.push({ name: '.data', type: ShType.PROGBITS, flags: 3, data: new Uint8Array(0) });
  const started = performance.now();
  const spec = loadObjectSpec(buildElf(sections));
  t.is(spec.dataSections.length, 6000);
  t.true(performance.now() - started < 2000);
});
