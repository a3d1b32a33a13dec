import { EM_BPF, ET_REL, ShType } from './elfFile.js';

/** A section to write; `link`/`info` of REL and SYMTAB sections are section indexes in the output. @example { name: '.text', type: 1, flags: 6, align: 8, entsize: 0, link: 0, info: 0, bytes, size: bytes.length } */
export interface OutSection {
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly align: number;
  readonly entsize: number;
  readonly link: number;
  readonly info: number;
  /** Contents (ignored for NOBITS, whose size is `size`). */
  readonly bytes: Uint8Array;
  readonly size: number;
}

/** A symbol to write; `shndx` is an output section index (or SHN_UNDEF / SHN_ABS…). @example { name: 'xdp_prog', bind: 1, type: 2, other: 0, shndx: 3, value: 0, size: 64 } */
export interface OutSymbol {
  readonly name: string;
  readonly bind: number;
  readonly type: number;
  readonly other: number;
  readonly shndx: number;
  readonly value: number;
  readonly size: number;
}

class Strtab {
  readonly #index = new Map<string, number>([['', 0]]);
  readonly #parts: Uint8Array[] = [new Uint8Array(1)];
  #len = 1;

  add(s: string): number {
    const hit = this.#index.get(s);
    if (hit !== undefined) return hit;
    const bytes = new TextEncoder().encode(s);
    const off = this.#len;
    const buf = new Uint8Array(bytes.length + 1);
    buf.set(bytes);
    this.#parts.push(buf);
    this.#len += buf.length;
    this.#index.set(s, off);
    return off;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.#len);
    let p = 0;
    for (const b of this.#parts) {
      out.set(b, p);
      p += b.length;
    }
    return out;
  }
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Writes a little-endian ELF64 relocatable BPF object: the given sections (output
 * indexes start at 1), then `.symtab` (locals must come first in `symbols`;
 * `firstGlobal` is its `sh_info`) and one `.strtab` for section and symbol names.
 * `.symtab` gets index `sections.length + 1` (REL sections link it).
 *
 * @example
 * const bytes = writeElf([{ name: '.text', type: 1, flags: 6, align: 8, entsize: 0, link: 0, info: 0, bytes: code, size: code.length }], [], 0);
 */
export function writeElf(sections: readonly OutSection[], symbols: readonly OutSymbol[], firstGlobal: number): Uint8Array {
  const strtab = new Strtab();
  const strtabIndex = sections.length + 2;
  const symBytes = new Uint8Array((symbols.length + 1) * 24);
  const sv = new DataView(symBytes.buffer);
  symbols.forEach((y, i) => {
    const o = (i + 1) * 24;
    sv.setUint32(o, strtab.add(y.name), true);
    sv.setUint8(o + 4, ((y.bind << 4) | (y.type & 0xf)) & 0xff);
    sv.setUint8(o + 5, y.other);
    sv.setUint16(o + 6, y.shndx, true);
    sv.setBigUint64(o + 8, BigInt(y.value), true);
    sv.setBigUint64(o + 16, BigInt(y.size), true);
  });
  const all: OutSection[] = [
    ...sections,
    { name: '.symtab', type: ShType.SYMTAB, flags: 0, align: 8, entsize: 24, link: strtabIndex, info: firstGlobal + 1, bytes: symBytes, size: symBytes.length },
  ];
  const names = all.map((s) => strtab.add(s.name));
  const strName = strtab.add('.strtab');
  const strBytes = strtab.bytes();
  all.push({ name: '.strtab', type: ShType.STRTAB, flags: 0, align: 1, entsize: 0, link: 0, info: 0, bytes: strBytes, size: strBytes.length });
  names.push(strName);

  let off = 64;
  const offsets: number[] = [];
  for (const s of all) {
    off = align(off, Math.max(1, s.align));
    offsets.push(off);
    if (s.type !== ShType.NOBITS) off += s.bytes.length;
  }
  const shoff = align(off, 8);
  const out = new Uint8Array(shoff + (all.length + 1) * 64);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  v.setUint16(16, ET_REL, true);
  v.setUint16(18, EM_BPF, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint16(52, 64, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, all.length + 1, true);
  v.setUint16(62, strtabIndex, true);
  all.forEach((s, i) => {
    const o = shoff + (i + 1) * 64;
    const at = offsets[i] ?? 0;
    if (s.type !== ShType.NOBITS) out.set(s.bytes, at);
    v.setUint32(o, names[i] ?? 0, true);
    v.setUint32(o + 4, s.type, true);
    v.setBigUint64(o + 8, BigInt(s.flags), true);
    v.setBigUint64(o + 24, BigInt(at), true);
    v.setBigUint64(o + 32, BigInt(s.type === ShType.NOBITS ? s.size : s.bytes.length), true);
    v.setUint32(o + 40, s.link, true);
    v.setUint32(o + 44, s.info, true);
    v.setBigUint64(o + 48, BigInt(Math.max(1, s.align)), true);
    v.setBigUint64(o + 56, BigInt(s.entsize), true);
  });
  return out;
}
