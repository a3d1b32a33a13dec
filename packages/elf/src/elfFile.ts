import { elfError } from './errors.js';

/** `EM_BPF`, the ELF machine number of BPF objects. @example EM_BPF; // 247 */
export const EM_BPF = 247;
/** `ET_REL`: clang's `-c` output. @example ET_REL; // 1 */
export const ET_REL = 1;

/** ELF section types this reader cares about (`SHT_*`). @example ShType.REL; // 9 */
export const ShType = {
  NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9,
} as const;

/** `SHF_EXECINSTR`: a section holding code. @example (section.flags & SHF_EXECINSTR) !== 0 */
export const SHF_EXECINSTR = 0x4;

/** BPF relocation types (`R_BPF_*`). @example RelocType.R_BPF_64_32; // 10, calls */
export const RelocType = {
  NONE: 0, R_BPF_64_64: 1, R_BPF_64_ABS64: 2, R_BPF_64_ABS32: 3, R_BPF_64_NODYLD32: 4, R_BPF_64_32: 10,
} as const;

/**
 * One section header (`Elf64_Shdr`), with its resolved name.
 *
 * @example
 * readElf(bytes).sections.find((s) => s.name === 'xdp'); // { index: 3, type: 1, flags: 6, … }
 */
export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly entsize: number;
  /** `sh_addralign` (0 and 1 both mean no constraint). */
  readonly addralign: number;
}

/**
 * One symbol (`Elf64_Sym`). `bind`/`type`/`visibility` are the ELF numbers.
 *
 * @example
 * readElf(bytes).symbols.filter((y) => y.type === 2).map((y) => y.name); // ['xdp_filter']
 */
export interface ElfSymbol {
  readonly index: number;
  readonly name: string;
  readonly bind: number;
  readonly type: number;
  readonly visibility: number;
  /** Section index (`SHN_UNDEF` 0 for externs). */
  readonly shndx: number;
  readonly value: number;
  readonly size: number;
}

/**
 * One REL entry (`Elf64_Rel`).
 *
 * @example
 * readElf(bytes).rels.get(3); // [{ offset: 48, type: 1, symbol: 5 }, …]
 */
export interface ElfRel {
  readonly offset: number;
  readonly type: number;
  readonly symbol: number;
}

/**
 * A parsed relocatable BPF ELF: sections, symbols and the REL sections by target section.
 *
 * @example
 * const { sections, symbols, rels } = readElf(bytes);
 */
export interface ElfFile {
  readonly bytes: Uint8Array;
  readonly sections: readonly ElfSection[];
  readonly symbols: readonly ElfSymbol[];
  /** Target section index → its relocations, in file order. */
  readonly rels: ReadonlyMap<number, readonly ElfRel[]>;
}

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;
/** No more sections than this: a bound on work, far above what clang emits. */
const MAX_SECTIONS = 65280;

/** Safe number from a u64 field: anything past 2^53 is certainly out of range. */
function u64(view: DataView, off: number): number {
  const lo = view.getUint32(off, true);
  const hi = view.getUint32(off + 4, true);
  return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 0x100000000 + lo;
}

function checkRange(total: number, offset: number, size: number, what: string): void {
  if (offset > total || size > total - offset) {
    throw elfError('out-of-range', `${what}: bytes ${String(offset)}..${String(offset + size)} are past the end of the ${String(total)}-byte file`);
  }
}

/** Reads names out of string tables, each (table, offset) once. */
type StringReader = (table: ElfSection, off: number, what: string) => string;

/**
 * Names are NUL-terminated, so one long string referenced at many offsets would make every
 * lookup a long scan and a long copy (quadratic time and memory in a crafted file). The bytes
 * decoded are therefore budgeted: a few times the file size, far above what names that
 * share tails (clang merges them) ever add up to.
 */
function stringReader(bytes: Uint8Array): StringReader {
  const cache = new Map<string, string>();
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let budget = 4 * bytes.length + (1 << 20);
  return (table, off, what) => {
    if (off >= table.size) {
      throw elfError('bad-string', `${what}: name offset ${String(off)} is outside its ${String(table.size)}-byte string table`);
    }
    const key = `${String(table.index)}:${String(off)}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const start = table.offset + off;
    const nul = bytes.subarray(start, table.offset + table.size).indexOf(0);
    if (nul < 0) throw elfError('bad-string', `${what}: name at offset ${String(off)} is not NUL-terminated`);
    budget -= nul;
    if (budget < 0) throw elfError('bad-string', `${what}: names add up to more than ${String(4 * bytes.length)} bytes (overlapping long strings)`);
    const name = decoder.decode(bytes.subarray(start, start + nul));
    cache.set(key, name);
    return name;
  };
}

/**
 * Reads a little-endian ELF64 relocatable BPF object: header, section headers,
 * section names, the symbol table and every REL section. Anything malformed
 * throws `BpfError('EINVAL', 'elf:…')`; nothing is copied, so the work is bounded
 * by the file size.
 *
 * @example
 * const elf = readElf(readFileSync('xdp.o'));
 * elf.sections.map((s) => s.name); // ['', '.strtab', '.text', 'xdp', …]
 */
export function readElf(input: Uint8Array): ElfFile {
  // A private plain copy: a Node Buffer's slice() is a view, and section bytes handed out
  // (initial values of global data) must not alias the caller's buffer.
  const bytes = new Uint8Array(input);
  if (bytes.length < EHDR_SIZE) {
    throw elfError('truncated-header', `not an ELF object: ${String(bytes.length)} bytes, the ELF header alone needs 64`);
  }
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw elfError('bad-magic', 'not an ELF object: the first bytes are not \\x7fELF');
  }
  if (bytes[4] !== 2) throw elfError('bad-class', `ELF class ${String(bytes[4])} is not ELFCLASS64`);
  if (bytes[5] !== 1) throw elfError('bad-endianness', `ELF data encoding ${String(bytes[5])} is not little-endian (big-endian BPF objects are not supported)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  if (machine !== EM_BPF) throw elfError('bad-machine', `ELF machine ${String(machine)} is not EM_BPF (247)`);
  if (type !== ET_REL) throw elfError('not-relocatable', `ELF type ${String(type)} is not ET_REL: only relocatable objects (clang -c) are read`);
  const shoff = u64(view, 40);
  const shentsize = view.getUint16(58, true);
  let shnum = view.getUint16(60, true);
  let shstrndx = view.getUint16(62, true);
  if (shoff === 0) throw elfError('no-sections', 'ELF object has no section header table');
  if (shentsize !== SHDR_SIZE) throw elfError('bad-shentsize', `section header size ${String(shentsize)} is not 64`);
  checkRange(bytes.length, shoff, SHDR_SIZE, 'section header 0');
  // Extended numbering: the real counts live in section 0 (SHN_XINDEX).
  if (shnum === 0) shnum = u64(view, shoff + 32);
  if (shstrndx === 0xffff) shstrndx = view.getUint32(shoff + 40, true);
  if (shnum > MAX_SECTIONS) throw elfError('too-many-sections', `${String(shnum)} sections is more than ${String(MAX_SECTIONS)}`);
  checkRange(bytes.length, shoff, shnum * SHDR_SIZE, 'section header table');

  const raw: Omit<ElfSection, 'name'>[] = [];
  const nameOffs: number[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * SHDR_SIZE;
    const s = {
      index: i,
      type: view.getUint32(o + 4, true),
      flags: u64(view, o + 8),
      offset: u64(view, o + 24),
      size: u64(view, o + 32),
      link: view.getUint32(o + 40, true),
      info: view.getUint32(o + 44, true),
      entsize: u64(view, o + 56),
      addralign: u64(view, o + 48),
    };
    if (s.type !== ShType.NOBITS && s.type !== ShType.NULL) checkRange(bytes.length, s.offset, s.size, `section ${String(i)}`);
    raw.push(s);
    nameOffs.push(view.getUint32(o, true));
  }
  const shstr = raw[shstrndx];
  if (shstrndx === 0 || shstr?.type !== ShType.STRTAB) {
    throw elfError('bad-shstrndx', `section name table index ${String(shstrndx)} is not a string table`);
  }
  const readString = stringReader(bytes);
  const sections: ElfSection[] = raw.map((s, i) => ({
    ...s,
    name: i === 0 ? '' : readString({ ...shstr, name: '' }, nameOffs[i] ?? 0, `section ${String(i)}`),
  }));

  const symbols = readSymbols(view, sections, readString);
  const rels = readRels(view, sections, symbols.length);
  return { bytes, sections, symbols, rels };
}

function readSymbols(view: DataView, sections: readonly ElfSection[], readString: StringReader): ElfSymbol[] {
  const symtabs = sections.filter((s) => s.type === ShType.SYMTAB);
  if (symtabs.length === 0) return [];
  const symtab = symtabs[0];
  if (symtabs.length > 1 || symtab === undefined) throw elfError('multiple-symtabs', 'ELF object has more than one symbol table');
  if (symtab.entsize !== SYM_SIZE || symtab.size % SYM_SIZE !== 0) {
    throw elfError('bad-symtab', `symbol table entry size ${String(symtab.entsize)} / size ${String(symtab.size)} do not describe 24-byte symbols`);
  }
  const strtab = sections[symtab.link];
  if (symtab.link === 0 || strtab?.type !== ShType.STRTAB) {
    throw elfError('bad-symtab', `symbol table links section ${String(symtab.link)}, which is not a string table`);
  }
  const out: ElfSymbol[] = [];
  const count = symtab.size / SYM_SIZE;
  for (let i = 0; i < count; i++) {
    const o = symtab.offset + i * SYM_SIZE;
    const info = view.getUint8(o + 4);
    const shndx = view.getUint16(o + 6, true);
    if (shndx !== 0 && shndx < 0xff00 && shndx >= sections.length) {
      throw elfError('bad-symbol', `symbol ${String(i)} refers to section ${String(shndx)} of ${String(sections.length)}`);
    }
    const nameOff = view.getUint32(o, true);
    out.push({
      index: i,
      name: nameOff === 0 ? '' : readString(strtab, nameOff, `symbol ${String(i)}`),
      bind: info >> 4,
      type: info & 0xf,
      visibility: view.getUint8(o + 5) & 0x3,
      shndx,
      value: u64(view, o + 8),
      size: u64(view, o + 16),
    });
  }
  return out;
}

function readRels(view: DataView, sections: readonly ElfSection[], symbolCount: number): Map<number, ElfRel[]> {
  const rels = new Map<number, ElfRel[]>();
  for (const s of sections) {
    if (s.type === ShType.RELA) throw elfError('rela-unsupported', `section ${s.name}: RELA relocations are not used by BPF objects`);
    if (s.type !== ShType.REL) continue;
    if (s.entsize !== REL_SIZE || s.size % REL_SIZE !== 0) {
      throw elfError('bad-rel', `section ${s.name}: entry size ${String(s.entsize)} / size ${String(s.size)} do not describe 16-byte REL entries`);
    }
    const target = sections[s.info];
    if (s.info === 0 || target === undefined) throw elfError('bad-rel', `section ${s.name} relocates section ${String(s.info)}, which does not exist`);
    if (rels.has(s.info)) throw elfError('bad-rel', `section ${target.name} has more than one REL section`);
    const list: ElfRel[] = [];
    for (let o = s.offset; o < s.offset + s.size; o += REL_SIZE) {
      const offset = u64(view, o);
      const type = view.getUint32(o + 8, true);
      const symbol = view.getUint32(o + 12, true);
      if (symbol >= symbolCount) throw elfError('bad-rel', `section ${s.name}: relocation at ${String(offset)} names symbol ${String(symbol)} of ${String(symbolCount)}`);
      list.push({ offset, type, symbol });
    }
    rels.set(s.info, list);
  }
  return rels;
}
