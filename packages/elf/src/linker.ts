import { BtfBuilder, decodeBtf, type Btf, type BtfTypeInput } from '@bpfkit/btf';
import { BpfError } from '@bpfkit/kernel-api';
import { parseBtfExt, type CoreRelo, type FuncInfo, type LineInfo } from './btfExt.js';
import { readElf, SHF_EXECINSTR, ShType, type ElfFile, type ElfSection } from './elfFile.js';
import { writeElf, type OutSection, type OutSymbol } from './elfWriter.js';
import { elfError } from './errors.js';
import { mapMismatch, nonStatic, remapType, typeMismatch } from './linkerBtf.js';

const SHT_LLVM_ADDRSIG = 0x6fff4c03;
const STB_LOCAL = 0;
const STB_GLOBAL = 1;
const STB_WEAK = 2;
const STT_SECTION = 3;
const SHN_LORESERVE = 0xff00;
const BPF_CALL = 0x85;
const VAR_GLOBAL_ALLOCATED = 1;

interface DstSym {
  readonly name: string;
  bind: number;
  type: number;
  other: number;
  sec: DstSec | undefined;
  /** SHN_UNDEF, or a reserved index (SHN_ABS…) kept as is. */
  readonly special: number;
  value: number;
  size: number;
}

interface DstVar { type: number; offset: number; size: number }

interface DstSec {
  readonly name: string;
  /** Known only from BTF (`.kconfig`, `.ksyms`, extern-only `.maps`): no ELF section. */
  ephemeral: boolean;
  type: number;
  flags: number;
  align: number;
  entsize: number;
  size: number;
  readonly parts: { readonly at: number; readonly bytes: Uint8Array }[];
  readonly rels: { offset: number; type: number; sym: DstSym }[];
  secSym: DstSym | undefined;
  hasBtf: boolean;
  readonly vars: DstVar[];
  readonly funcInfo: FuncInfo[];
  readonly lineInfo: LineInfo[];
  readonly coreRelos: CoreRelo[];
}

interface Glob {
  readonly sym: DstSym;
  isExtern: boolean;
  isWeak: boolean;
  secName: string | undefined;
  /** Its VAR/FUNC in the linked BTF, 0 until that object's BTF is appended. */
  btfId: number;
  /** The declaration it was checked against last (its source BTF and VAR/FUNC id). */
  decl: { readonly btf: Btf; readonly id: number };
  /** A definition replaced an extern: its VAR's/FUNC's type comes from that object. */
  pending: { readonly btf: Btf; readonly id: number } | undefined;
  dstVar: DstVar | undefined;
}

interface State {
  readonly secs: Map<string, DstSec>;
  readonly order: DstSec[];
  readonly syms: DstSym[];
  readonly globs: Map<string, Glob>;
  readonly types: BtfTypeInput[];
  anyBtf: boolean;
}

interface SrcSec {
  readonly dst: DstSec;
  readonly dstOff: number;
  readonly skipped: boolean;
  readonly elf: ElfSection | undefined;
  /** Its bytes in the output (a copy: section-relative immediates are patched there). */
  readonly part: { readonly at: number; readonly bytes: Uint8Array } | undefined;
}

function linkError(message: string): BpfError {
  return elfError('link', message);
}

function ignored(s: ElfSection): boolean {
  if (s.index === 0 || s.type === ShType.STRTAB || s.type === ShType.SYMTAB || s.type === SHT_LLVM_ADDRSIG) return true;
  if (s.type === ShType.PROGBITS && s.size === 0 && s.name === '.text') return true;
  const name = s.type === ShType.REL && s.name.startsWith('.rel') ? s.name.slice(4) : s.name;
  if (name.startsWith('.debug_')) return true;
  return s.type === ShType.REL && (name === '.BTF' || name === '.BTF.ext');
}

function newSec(state: State, name: string, src: ElfSection | undefined): DstSec {
  const sec: DstSec = {
    name, ephemeral: src === undefined, type: src?.type ?? 0, flags: src?.flags ?? 0, align: 1, entsize: src?.entsize ?? 0, size: 0,
    parts: [], rels: [], secSym: undefined, hasBtf: false, vars: [], funcInfo: [], lineInfo: [], coreRelos: [],
  };
  state.secs.set(name, sec);
  state.order.push(sec);
  return sec;
}

function alignOf(s: ElfSection): number {
  const a = Math.max(1, s.addralign);
  if (a > 4096 || (a & (a - 1)) !== 0) throw linkError(`section ${s.name}: alignment ${String(s.addralign)} is not a power of two up to 4096`);
  return a;
}

/** Appends one input section to its output section; returns where it landed. */
function appendSection(state: State, s: ElfSection, elf: ElfFile): SrcSec {
  if (s.type !== ShType.PROGBITS && s.type !== ShType.NOBITS) throw linkError(`unrecognized section #${String(s.index)} (${s.name}) of type ${String(s.type)}`);
  if ((s.flags & SHF_EXECINSTR) !== 0 && s.size % 8 !== 0) throw linkError(`section ${s.name}: code of ${String(s.size)} bytes is not whole instructions`);
  if (s.type === ShType.NOBITS && s.size > 1 << 24) throw linkError(`section ${s.name} of ${String(s.size)} bytes is too large`);
  const align = alignOf(s);
  let dst = state.secs.get(s.name);
  if (dst === undefined) {
    dst = newSec(state, s.name, s);
  } else if (dst.ephemeral) {
    Object.assign(dst, { ephemeral: false, type: s.type, flags: s.flags, entsize: s.entsize });
  } else {
    if (dst.type !== s.type || dst.flags !== s.flags || dst.entsize !== s.entsize) throw linkError(`ELF sections ${s.name} are incompatible (type, flags or entry size differ)`);
    if (s.name === 'license' || s.name === 'version') {
      const mine = elf.bytes.subarray(s.offset, s.offset + s.size);
      const theirs = dst.parts[0]?.bytes ?? new Uint8Array();
      if (dst.size !== s.size || !mine.every((b, i) => b === theirs[i])) throw linkError(`non-identical contents of section '${s.name}' are not supported`);
      return { dst, dstOff: 0, skipped: true, elf: s, part: undefined };
    }
  }
  dst.align = Math.max(dst.align, align);
  const at = Math.ceil(dst.size / dst.align) * dst.align;
  const part = s.type === ShType.NOBITS ? undefined : { at, bytes: elf.bytes.slice(s.offset, s.offset + s.size) };
  if (part !== undefined) dst.parts.push(part);
  dst.size = at + s.size;
  if (dst.size > 1 << 30) throw linkError(`section ${s.name} grows past 1 GiB`);
  return { dst, dstOff: at, skipped: false, elf: s, part };
}

/** VAR/FUNC id → the first DATASEC listing it, built once per input (lookups stay linear overall). */
function datasecOf(btf: Btf): Map<number, string> {
  const out = new Map<number, string>();
  for (const ds of btf.types) {
    if (ds.kind !== 'DATASEC') continue;
    for (const v of ds.vars) if (!out.has(v.type)) out.set(v.type, ds.name);
  }
  return out;
}

/** The VAR/FUNC describing a global symbol (the last non-static one of its name, as libbpf), and its DATASEC. */
function btfOf(btf: Btf, datasecs: ReadonlyMap<number, string>, name: string): { id: number; secName: string | undefined } | undefined {
  let id = 0;
  for (const cand of btf.findAll(name)) if (nonStatic(btf.type(cand))) id = cand;
  if (id === 0) return undefined;
  return { id, secName: datasecs.get(id) };
}

/**
 * Links relocatable BPF objects into one, as libbpf's `bpf_linker` (`bpftool gen
 * object`) does: sections of one name are concatenated (each input aligned),
 * symbols and relocations moved with them, section-relative instruction
 * immediates adjusted, `license`/`version` deduplicated, an extern resolved by a
 * global definition of another input (a strong definition wins over weak ones, two
 * strong ones are EINVAL, types must agree), BTF appended with type ids remapped
 * (no deduplication) and DATASECs rebuilt, `.BTF.ext` records moved to the linked
 * sections. Malformed inputs and conflicts throw `BpfError` (EINVAL, ENOENT for a
 * global without BTF).
 *
 * @example
 * const linked = linkObjects([readFileSync('main.o'), readFileSync('lib.o')]);
 * loadObjectSpec(linked).programs.map((p) => p.name);
 */
export function linkObjects(inputs: readonly Uint8Array[]): Uint8Array {
  if (inputs.length === 0) throw linkError('nothing to link');
  const state: State = { secs: new Map(), order: [], syms: [], globs: new Map(), types: [], anyBtf: false };
  inputs.forEach((bytes, i) => { linkOne(state, bytes, i); });
  return finish(state);
}

function linkOne(state: State, bytes: Uint8Array, fileIndex: number): void {
  const elf = readElf(bytes);
  const file = `input #${String(fileIndex)}`;
  if (elf.symbols.length === 0) throw linkError(`${file}: no symbol table`);
  const btfSec = elf.sections.find((s) => s.name === '.BTF' && s.type === ShType.PROGBITS);
  const btf = btfSec === undefined ? undefined : decodeBtf(elf.bytes.subarray(btfSec.offset, btfSec.offset + btfSec.size));
  const extSec = elf.sections.find((s) => s.name === '.BTF.ext' && s.type === ShType.PROGBITS);

  const src = new Map<number, SrcSec>();
  for (const s of elf.sections) {
    if (ignored(s) || s.type === ShType.REL || s.name === '.BTF' || s.name === '.BTF.ext') continue;
    src.set(s.index, appendSection(state, s, elf));
  }
  const symMap = appendSymbols(state, elf, btf, src, file);
  appendRelocations(elf, src, symMap, file);
  if (btf !== undefined) {
    state.anyBtf = true;
    const typeMap = appendBtf(state, elf, btf, src, file);
    if (extSec !== undefined) appendBtfExt(elf, btf, extSec, src, typeMap, file);
  }
}

function appendSymbols(state: State, elf: ElfFile, btf: Btf | undefined, src: ReadonlyMap<number, SrcSec>, file: string): (DstSym | undefined)[] {
  const symMap: (DstSym | undefined)[] = [];
  const datasecs = btf === undefined ? new Map<number, string>() : datasecOf(btf);
  for (const sym of elf.symbols) {
    if (sym.index === 0) continue;
    if (sym.type > 4) throw linkError(`${file}: symbol ${sym.name} has unsupported type ${String(sym.type)}`);
    const isExtern = sym.shndx === 0;
    let s: SrcSec | undefined;
    if (!isExtern && sym.shndx < SHN_LORESERVE) {
      s = src.get(sym.shndx);
      if (s === undefined || s.skipped) continue;
      if (sym.type === STT_SECTION) {
        if (sym.value !== 0) throw linkError(`${file}: section symbol of ${s.dst.name} has value ${String(sym.value)}`);
        if (s.dst.secSym !== undefined) {
          symMap[sym.index] = s.dst.secSym;
          continue;
        }
      } else if (sym.value > (s.elf?.size ?? 0) || sym.size > (s.elf?.size ?? 0) - sym.value) {
        throw linkError(`${file}: symbol ${sym.name} (${String(sym.value)}+${String(sym.size)}) does not fit section ${s.dst.name}`);
      }
    }
    let dstSec = s?.dst;
    const add = (): DstSym => {
      const d: DstSym = {
        name: sym.name, bind: sym.bind, type: sym.type, other: sym.visibility, sec: dstSec,
        special: dstSec === undefined ? sym.shndx : 0, value: sym.type === STT_SECTION ? 0 : (s?.dstOff ?? 0) + sym.value, size: sym.size,
      };
      state.syms.push(d);
      symMap[sym.index] = d;
      if (sym.type === STT_SECTION && dstSec !== undefined) dstSec.secSym = d;
      return d;
    };
    if (sym.bind === STB_LOCAL) {
      add();
      continue;
    }
    if (sym.bind !== STB_GLOBAL && sym.bind !== STB_WEAK) throw linkError(`${file}: symbol ${sym.name} has unsupported binding ${String(sym.bind)}`);
    if (sym.visibility !== 0 && sym.visibility !== 2) throw linkError(`${file}: symbol ${sym.name} has unsupported visibility ${String(sym.visibility)}`);
    if (btf === undefined) {
      if (isExtern) throw new BpfError('EOPNOTSUPP', 'elf:link', `${file}: externs without BTF info are not supported (${sym.name})`);
      throw linkError(`${file}: failed to find BTF info for global symbol '${sym.name}'`);
    }
    const info = btfOf(btf, datasecs, sym.name);
    if (info === undefined) throw new BpfError('ENOENT', 'elf:link', `${file}: failed to find BTF info for global/extern symbol '${sym.name}'`);
    if (isExtern && info.secName !== undefined && info.secName !== '.extern') {
      dstSec = state.secs.get(info.secName) ?? newSec(state, info.secName, undefined);
    }
    const glob = state.globs.get(sym.name);
    if (glob === undefined) {
      const d = add();
      state.globs.set(sym.name, {
        sym: d, isExtern, isWeak: sym.bind === STB_WEAK, secName: dstSec?.name, btfId: 0,
        decl: { btf, id: info.id }, pending: undefined, dstVar: undefined,
      });
      continue;
    }
    symMap[sym.index] = glob.sym;
    if (!isExtern && !glob.isExtern && !glob.isWeak && sym.bind !== STB_WEAK) {
      throw linkError(`conflicting non-weak symbol #${String(sym.index)} (${sym.name}) definition in ${file}`);
    }
    const kind = btf.type(info.id)?.kind;
    if (kind !== 'VAR' && kind !== 'FUNC') throw linkError(`only extern variables and functions are supported, but got '${kind ?? 'nothing'}' for '${sym.name}'`);
    const prevKind = glob.decl.btf.type(glob.decl.id)?.kind;
    if (prevKind !== kind) throw linkError(`global '${sym.name}': incompatible BTF kinds ${String(prevKind)} and ${kind}`);
    const mismatch = glob.secName === '.maps' || dstSec?.name === '.maps'
      ? mapMismatch(sym.name, glob.decl.btf, glob.decl.id, btf, info.id)
      : typeMismatch(glob.decl.btf, glob.decl.id, btf, info.id);
    if (mismatch !== undefined) throw linkError(`global '${sym.name}': ${mismatch} (${file} against an earlier input)`);
    if (sym.bind === STB_GLOBAL) {
      glob.sym.bind = STB_GLOBAL;
      glob.isWeak = false;
    }
    if (sym.visibility > glob.sym.other) glob.sym.other = sym.visibility;
    if (isExtern) continue;
    if (!glob.isExtern && sym.bind === STB_WEAK) continue;
    // A strong definition replaces an extern or a weak definition.
    if (s === undefined || dstSec === undefined) throw linkError(`${file}: global '${sym.name}' is defined in no section`);
    if (glob.secName !== undefined && glob.secName !== dstSec.name && glob.isExtern) {
      throw linkError(`global '${sym.name}': section mismatch ${glob.secName} vs ${dstSec.name}`);
    }
    Object.assign(glob.sym, { type: sym.type, sec: dstSec, value: s.dstOff + sym.value, size: sym.size });
    glob.isExtern = false;
    glob.secName = dstSec.name;
    glob.decl = { btf, id: info.id };
    glob.pending = { btf, id: info.id };
  }
  return symMap;
}

function appendRelocations(elf: ElfFile, src: ReadonlyMap<number, SrcSec>, symMap: readonly (DstSym | undefined)[], file: string): void {
  const relSecs = new Map(elf.sections.filter((s) => s.type === ShType.REL).map((s) => [s.info, s]));
  for (const [target, rels] of elf.rels) {
    const relSec = relSecs.get(target);
    if (relSec !== undefined && ignored(relSec)) continue;
    const t = src.get(target);
    if (t === undefined || t.skipped) continue;
    const size = t.elf?.size ?? 0;
    for (const rel of rels) {
      if (rel.offset > size || size - rel.offset < 8) throw linkError(`${file}: relocation at ${String(rel.offset)} is outside section ${t.dst.name}`);
      const dstSym = symMap[rel.symbol];
      const srcSym = elf.symbols[rel.symbol];
      if (dstSym === undefined || srcSym === undefined) throw linkError(`${file}: ${t.dst.name}+${String(rel.offset)}: relocation against a symbol that is not linked`);
      if (srcSym.type === STT_SECTION) {
        const symSec = src.get(srcSym.shndx);
        if (symSec === undefined) throw linkError(`${file}: ${t.dst.name}+${String(rel.offset)}: relocation against an unknown section`);
        if ((t.dst.flags & SHF_EXECINSTR) === 0) throw linkError('relocation against STT_SECTION in non-exec section is not supported');
        const part = t.part;
        if (part === undefined) throw linkError(`${file}: section ${t.dst.name} has no code to relocate`);
        const v = new DataView(part.bytes.buffer, part.bytes.byteOffset, part.bytes.byteLength);
        const code = v.getUint8(rel.offset);
        const imm = v.getInt32(rel.offset + 4, true);
        v.setInt32(rel.offset + 4, imm + (code === BPF_CALL ? symSec.dstOff / 8 : symSec.dstOff), true);
      }
      t.dst.rels.push({ offset: t.dstOff + rel.offset, type: rel.type, sym: dstSym });
    }
  }
}

/** The first linked input section of each name. */
function linkedByName(elf: ElfFile, src: ReadonlyMap<number, SrcSec>): Map<string, ElfSection> {
  const out = new Map<string, ElfSection>();
  for (const s of elf.sections) if (src.has(s.index) && !out.has(s.name)) out.set(s.name, s);
  return out;
}

function appendBtf(state: State, elf: ElfFile, btf: Btf, src: ReadonlyMap<number, SrcSec>, file: string): number[] {
  const n = btf.nrTypes;
  const typeMap: number[] = new Array<number>(n).fill(-1);
  typeMap[0] = 0;
  const toAdd: number[] = [];
  const updates: { glob: Glob; srcType: number; linkage: number }[] = [];
  let next = state.types.length + 1;
  for (let id = 1; id < n; id++) {
    const t = btf.type(id);
    if (t === undefined || t.kind === 'DATASEC') continue;
    const glob = nonStatic(t) ? state.globs.get(t.name) : undefined;
    if (nonStatic(t)) {
      if (glob === undefined) continue;
      if (glob.btfId !== 0) {
        typeMap[id] = glob.btfId;
        if (glob.pending?.btf === btf && glob.pending.id === id) updates.push({ glob, srcType: t.type, linkage: t.linkage });
        continue;
      }
    }
    typeMap[id] = next++;
    toAdd.push(id);
    if (glob !== undefined) {
      glob.btfId = typeMap[id] ?? 0;
      if (glob.pending?.btf === btf) glob.pending = undefined;
    }
  }
  const map = (id: number): number => {
    const to = typeMap[id];
    if (to === undefined || to < 0) throw linkError(`${file}: BTF type id ${String(id)} is not linked (out of range, or a DATASEC)`);
    return to;
  };
  for (const id of toAdd) {
    const t = btf.type(id);
    if (t !== undefined) state.types.push(remapType(t, map));
  }
  for (const u of updates) {
    const at = state.types[u.glob.btfId - 1];
    if (at !== undefined && (at.kind === 'VAR' || at.kind === 'FUNC')) state.types[u.glob.btfId - 1] = { ...at, type: map(u.srcType), linkage: u.linkage };
    u.glob.pending = undefined;
  }

  const byName = linkedByName(elf, src);
  const objects = new Map<string, number>();
  for (const y of elf.symbols) {
    const k = `${String(y.shndx)}\0${y.name}`;
    if (y.type === 1 && !objects.has(k)) objects.set(k, y.value);
  }
  for (const ds of btf.types) {
    if (ds.kind !== 'DATASEC' || ds.name === '.extern') continue;
    const elfSec = byName.get(ds.name);
    const s = elfSec === undefined ? undefined : src.get(elfSec.index);
    if (s?.skipped === true) continue;
    const dst = s?.dst ?? state.secs.get(ds.name) ?? newSec(state, ds.name, undefined);
    dst.hasBtf = true;
    for (const vi of ds.vars) {
      const vt = btf.type(vi.type);
      const newId = map(vi.type);
      const glob = nonStatic(vt) ? state.globs.get(vt.name) : undefined;
      if (glob !== undefined && glob.secName !== dst.name) throw linkError(`global '${glob.sym.name}': section mismatch ${String(glob.secName)} vs ${dst.name}`);
      if (glob?.dstVar !== undefined) {
        if (vt?.kind === 'VAR') glob.dstVar.size = vi.size;
        continue;
      }
      let offset = vi.offset;
      if (vt?.kind === 'VAR' && vt.linkage === VAR_GLOBAL_ALLOCATED && elfSec !== undefined) {
        const y = objects.get(`${String(elfSec.index)}\0${vt.name}`);
        if (y === undefined) throw new BpfError('ENOENT', 'elf:link', `${file}: failed to find symbol for variable '${vt.name}' in section '${ds.name}'`);
        offset = y;
      }
      const v: DstVar = { type: newId, offset: (s?.dstOff ?? 0) + offset, size: vi.size };
      dst.vars.push(v);
      if (glob !== undefined) glob.dstVar = v;
    }
  }
  return typeMap;
}

function appendBtfExt(elf: ElfFile, btf: Btf, extSec: ElfSection, src: ReadonlyMap<number, SrcSec>, typeMap: readonly number[], file: string): void {
  const ext = parseBtfExt(elf.bytes.subarray(extSec.offset, extSec.offset + extSec.size), btf);
  const map = (id: number): number => {
    const to = typeMap[id];
    if (to === undefined || to < 0) throw linkError(`${file}: .BTF.ext names BTF type ${String(id)}, which is not linked`);
    return to;
  };
  const byName = linkedByName(elf, src);
  for (const [name, recs] of ext) {
    const elfSec = byName.get(name);
    const s = elfSec === undefined ? undefined : src.get(elfSec.index);
    if (s === undefined) throw linkError(`${file}: can't find section '${name}' referenced from .BTF.ext`);
    if (s.skipped) continue;
    const shift = s.dstOff / 8;
    for (const r of recs.funcInfo) s.dst.funcInfo.push({ insnOff: r.insnOff + shift, typeId: map(r.typeId) });
    for (const r of recs.lineInfo) s.dst.lineInfo.push({ ...r, insnOff: r.insnOff + shift });
    for (const r of recs.coreRelos) s.dst.coreRelos.push({ ...r, insnOff: r.insnOff + shift, typeId: map(r.typeId) });
  }
}

function concat(sec: DstSec): Uint8Array {
  const out = new Uint8Array(sec.type === ShType.NOBITS ? 0 : sec.size);
  for (const p of sec.parts) out.set(p.bytes, p.at);
  return out;
}

function btfExtBytes(b: BtfBuilder, secs: readonly DstSec[]): Uint8Array | undefined {
  const words = (recSize: number, per: (s: DstSec) => number[][]): number[] => {
    const w: number[] = [recSize];
    for (const s of secs) {
      const recs = per(s);
      if (recs.length === 0) continue;
      w.push(b.addString(s.name), recs.length);
      for (const r of recs) w.push(...r);
    }
    return w.length === 1 ? [] : w;
  };
  const func = words(8, (s) => s.funcInfo.map((r) => [r.insnOff * 8, r.typeId]));
  const line = words(16, (s) => s.lineInfo.map((r) => [r.insnOff * 8, b.addString(r.fileName), b.addString(r.line), ((r.lineNum << 10) | r.column) >>> 0]));
  const core = words(16, (s) => s.coreRelos.map((r) => [r.insnOff * 8, r.typeId, b.addString(r.accessStr), r.kind]));
  if (func.length + line.length + core.length === 0) return undefined;
  const hdr = 32;
  const out = new Uint8Array(hdr + (func.length + line.length + core.length) * 4);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, hdr, true);
  let at = 0;
  [func, line, core].forEach((w, i) => {
    v.setUint32(8 + i * 8, at, true);
    v.setUint32(12 + i * 8, w.length * 4, true);
    w.forEach((x, j) => { v.setUint32(hdr + at + j * 4, x >>> 0, true); });
    at += w.length * 4;
  });
  return out;
}

function finish(state: State): Uint8Array {
  const real = state.order.filter((s) => !s.ephemeral);
  const index = new Map(real.map((s, i) => [s, i + 1]));
  const sections: OutSection[] = real.map((s) => {
    const bytes = concat(s);
    return { name: s.name, type: s.type, flags: s.flags, align: s.align, entsize: s.entsize, link: 0, info: 0, bytes, size: s.size };
  });
  const locals = state.syms.filter((y) => y.bind === STB_LOCAL);
  const globals = state.syms.filter((y) => y.bind !== STB_LOCAL);
  const ordered = [...locals, ...globals];
  const symIndex = new Map(ordered.map((y, i) => [y, i + 1]));
  const symbols: OutSymbol[] = ordered.map((y) => ({
    name: y.name, bind: y.bind, type: y.type, other: y.other,
    shndx: y.sec === undefined ? y.special : (index.get(y.sec) ?? 0), value: y.value, size: y.size,
  }));
  const relSections: OutSection[] = [];
  for (const s of real) {
    if (s.rels.length === 0) continue;
    const bytes = new Uint8Array(s.rels.length * 16);
    const v = new DataView(bytes.buffer);
    s.rels.forEach((r, i) => {
      v.setBigUint64(i * 16, BigInt(r.offset), true);
      v.setUint32(i * 16 + 8, r.type, true);
      v.setUint32(i * 16 + 12, symIndex.get(r.sym) ?? 0, true);
    });
    relSections.push({ name: `.rel${s.name}`, type: ShType.REL, flags: 0x40, align: 8, entsize: 16, link: 0, info: index.get(s) ?? 0, bytes, size: bytes.length });
  }
  const btfSections: OutSection[] = [];
  if (state.anyBtf) {
    const b = new BtfBuilder();
    for (const t of state.types) b.add(t);
    for (const s of state.order) {
      if (!s.hasBtf) continue;
      b.add({ kind: 'DATASEC', name: s.name, size: s.ephemeral ? 0 : s.size, vars: s.vars.map((v) => ({ ...v })) });
    }
    const ext = btfExtBytes(b, real);
    const btfBytes = b.encode();
    btfSections.push({ name: '.BTF', type: ShType.PROGBITS, flags: 0, align: 4, entsize: 0, link: 0, info: 0, bytes: btfBytes, size: btfBytes.length });
    if (ext !== undefined) btfSections.push({ name: '.BTF.ext', type: ShType.PROGBITS, flags: 0, align: 4, entsize: 0, link: 0, info: 0, bytes: ext, size: ext.length });
  }
  const all = [...sections, ...relSections, ...btfSections];
  const symtab = all.length + 1;
  return writeElf(all.map((s) => (s.type === ShType.REL ? { ...s, link: symtab } : s)), symbols, locals.length);
}
