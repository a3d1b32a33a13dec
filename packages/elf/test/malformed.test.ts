import test from 'ava';
import fc from 'fast-check';
import { BpfError } from '@bpfkit/kernel-api';
import { loadObjectSpec, readElf } from '@bpfkit/elf';
import { FIXTURES, fixture } from './helpers.js';

function header(): Uint8Array {
  return fixture('xdp_filter').slice();
}

function reasonOf(bytes: Uint8Array): string {
  try {
    loadObjectSpec(bytes);
  } catch (e) {
    if (e instanceof BpfError) return `${e.code} ${e.reason}`;
    throw e;
  }
  return 'ok';
}

function patched(edit: (v: DataView, b: Uint8Array) => void): Uint8Array {
  const b = header();
  edit(new DataView(b.buffer), b);
  return b;
}

const SHOFF = 40;

test('a truncated header is EINVAL elf:truncated-header', (t) => {
  t.is(reasonOf(header().subarray(0, 63)), 'EINVAL elf:truncated-header');
});

test('wrong magic is EINVAL elf:bad-magic', (t) => {
  t.is(reasonOf(patched((_v, b) => { b[1] = 0x46; })), 'EINVAL elf:bad-magic');
});

test('ELFCLASS32 is EINVAL elf:bad-class', (t) => {
  t.is(reasonOf(patched((_v, b) => { b[4] = 1; })), 'EINVAL elf:bad-class');
});

test('a big-endian object is EINVAL elf:bad-endianness', (t) => {
  t.is(reasonOf(patched((_v, b) => { b[5] = 2; })), 'EINVAL elf:bad-endianness');
});

test('a machine other than EM_BPF is EINVAL elf:bad-machine', (t) => {
  t.is(reasonOf(patched((v) => { v.setUint16(18, 62, true); })), 'EINVAL elf:bad-machine');
});

test('an executable (ET_EXEC) is EINVAL elf:not-relocatable', (t) => {
  t.is(reasonOf(patched((v) => { v.setUint16(16, 2, true); })), 'EINVAL elf:not-relocatable');
});

test('a section header table past the end is EINVAL elf:out-of-range', (t) => {
  t.is(reasonOf(patched((v) => { v.setUint32(SHOFF, 0xfffffff0, true); })), 'EINVAL elf:out-of-range');
});

test('a section whose bytes run past the end is EINVAL elf:out-of-range', (t) => {
  t.is(reasonOf(patched((v) => {
    const shoff = v.getUint32(SHOFF, true);
    v.setUint32(shoff + 2 * 64 + 32, 0x7fffffff, true); // section 2's size
  })), 'EINVAL elf:out-of-range');
});

test('a section name table index out of range is EINVAL elf:bad-shstrndx', (t) => {
  t.is(reasonOf(patched((v) => { v.setUint16(62, 999, true); })), 'EINVAL elf:bad-shstrndx');
});

test('a section header entry size other than 64 is EINVAL elf:bad-shentsize', (t) => {
  t.is(reasonOf(patched((v) => { v.setUint16(58, 40, true); })), 'EINVAL elf:bad-shentsize');
});

test('a relocation naming a symbol past the table is EINVAL elf:bad-rel', (t) => {
  const elf = readElf(header());
  const rel = elf.sections.find((s) => s.type === 9 && s.name === '.relxdp');
  t.truthy(rel);
  t.is(reasonOf(patched((v) => { v.setUint32((rel?.offset ?? 0) + 12, 100000, true); })), 'EINVAL elf:bad-rel');
});

test('a map relocation on an instruction that is not ld_imm64 is EINVAL elf:bad-relo', (t) => {
  const elf = readElf(header());
  const rel = elf.sections.find((s) => s.name === '.relxdp');
  t.is(reasonOf(patched((v) => { v.setUint32((rel?.offset ?? 0), 8, true); })), 'EINVAL elf:bad-relo');
});

test('legacy "maps" sections are refused with EOPNOTSUPP, as libbpf 1.x does', (t) => {
  const b = header();
  const elf = readElf(b);
  const mapsSec = elf.sections.find((s) => s.name === '.maps');
  const shstr = elf.sections[new DataView(b.buffer).getUint16(62, true)];
  // Rename ".maps" to "maps\0" in place: the section name table holds ".maps\0".
  const nameAt = (shstr?.offset ?? 0) + (new DataView(b.buffer).getUint32((new DataView(b.buffer).getUint32(SHOFF, true)) + (mapsSec?.index ?? 0) * 64, true));
  b.set([0x6d, 0x61, 0x70, 0x73, 0], nameAt);
  t.is(reasonOf(b), 'EOPNOTSUPP elf:legacy-maps');
});

const objects = FIXTURES.map((n) => fixture(n));

test('random bytes never throw anything but BpfError', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
    const r = reasonOf(bytes);
    return r === 'ok' || r.includes(' elf:') || r.includes(' btf:') || r.includes(' asm:');
  }), { numRuns: 500 });
  t.pass();
});

test('random bytes behind a valid BPF ELF header never throw anything but BpfError', (t) => {
  const head = header().subarray(0, 64);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (tail) => {
    const b = new Uint8Array(64 + tail.length);
    b.set(head);
    b.set(tail, 64);
    reasonOf(b);
    return true;
  }), { numRuns: 500 });
  t.pass();
});

test('fixtures with flipped bytes, cut short or extended give a spec or a BpfError, quickly', (t) => {
  const started = Date.now();
  fc.assert(fc.property(
    fc.nat({ max: objects.length - 1 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    fc.oneof(fc.constant(0), fc.integer({ min: -4096, max: 4096 })),
    (which, flips, resize) => {
      const src = objects[which] ?? new Uint8Array();
      const len = Math.max(0, src.length + resize);
      const b = new Uint8Array(len);
      b.set(src.subarray(0, Math.min(len, src.length)));
      for (const [at, value] of flips) if (len > 0) b[at % len] = value;
      reasonOf(b);
      return true;
    },
  ), { numRuns: 2000 });
  t.true(Date.now() - started < 60_000);
});

test('every single-byte flip of the ELF header and section table is handled', (t) => {
  const src = header();
  const shoff = new DataView(src.buffer).getUint32(SHOFF, true);
  const spots = [...Array.from({ length: 64 }, (_, i) => i), ...Array.from({ length: src.length - shoff }, (_, i) => shoff + i)];
  for (const at of spots) {
    const b = src.slice();
    b[at] = (b[at] ?? 0) ^ 0xff;
    reasonOf(b);
  }
  t.pass();
});
