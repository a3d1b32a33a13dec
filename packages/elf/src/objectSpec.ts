import { decodeProgram, type Insn } from '@bpfkit/asm';
import { decodeBtf, type Btf } from '@bpfkit/btf';
import { BpfError } from '@bpfkit/kernel-api';
import { BpfAttachType, BpfProgType } from '@bpfkit/uapi';
import { parseBtfExt, type BtfExtSection, type CoreRelo, type FuncInfo, type LineInfo } from './btfExt.js';
import { parseMapDef, type MapSlotSpec, type MapSpec } from './btfMaps.js';
import { readElf, RelocType, SHF_EXECINSTR, ShType, type ElfFile, type ElfRel, type ElfSection, type ElfSymbol } from './elfFile.js';
import { typeSize } from './btfSize.js';
import { elfError } from './errors.js';
import { findSecDef } from './secDefs.js';
import { ARENA_SECTION, arenaOf, type ArenaSpec } from './arena.js';
import { externDetails, type ExternDetails } from './externs.js';
import { structOpsMaps } from './structOps.js';

const STB_LOCAL = 0;
const STB_WEAK = 2;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_SECTION = 3;
const BPF_LD_IMM64 = 0x18;
const BPF_CALL = 0x85;
const BPF_PSEUDO_CALL = 1;

/**
 * What one instruction refers to, for the loader to patch. `insn` is a slot
 * index relative to the start of its function (ld_imm64 takes two slots).
 *
 * @example
 * { insn: 6, kind: 'map', map: 'counts' }
 */
export type RelocationSpec =
  | { readonly insn: number; readonly kind: 'map'; readonly map: string }
  | { readonly insn: number; readonly kind: 'data'; readonly section: string; readonly offset: number }
  /** An `__arena` global: `offset` into `.addr_space.1` (the loader adds the arena's user address of the data). */
  | { readonly insn: number; readonly kind: 'arena'; readonly offset: number }
  | { readonly insn: number; readonly kind: 'call'; readonly function: string }
  | { readonly insn: number; readonly kind: 'func-addr'; readonly function: string }
  | { readonly insn: number; readonly kind: 'extern'; readonly extern: string };

/** One function's code and debug records; programs and subprograms share it. @example spec.subprograms[0]?.name; // 'classify' */
export interface FunctionSpec {
  readonly name: string;
  /** The ELF section it lives in (without the `?` prefix). */
  readonly section: string;
  /** Slot index of its first instruction inside the section. */
  readonly sectionInsn: number;
  readonly global: boolean;
  readonly insns: readonly Insn[];
  /** Number of 8-byte slots. */
  readonly slots: number;
  readonly relocations: readonly RelocationSpec[];
  readonly funcInfo: readonly FuncInfo[];
  readonly lineInfo: readonly LineInfo[];
  readonly coreRelos: readonly CoreRelo[];
}

/** A program: a function in a SEC() section, with what libbpf's section table says about it. @example spec.programs[0]?.progTypeName; // 'BPF_PROG_TYPE_XDP' */
export interface ProgramSpec extends FunctionSpec {
  /** The full section name as written, with `?` if any. */
  readonly sectionName: string;
  /** libbpf's table row, or `undefined` for a section it does not know. */
  readonly secDef: string | undefined;
  readonly progType: number;
  readonly progTypeName: string;
  readonly expectedAttachType: number;
  readonly expectedAttachTypeName: string | undefined;
  /** What comes after the first `/` (kprobe function, tracepoint, BTF attach target…). */
  readonly attachTo: string;
  readonly sleepable: boolean;
  readonly xdpFrags: boolean;
  /** False for `SEC("?…")`. */
  readonly autoload: boolean;
  /** Subprograms reachable through calls (and function addresses), sorted by name. */
  readonly subprograms: readonly string[];
}

/** A variable of a global data section, placed by BTF DATASEC (or by its ELF symbol). @example { name: 'drop_proto', offset: 0, size: 4, typeId: 19, global: true } */
export interface VariableSpec {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  /** BTF VAR's type, 0 when the object has no BTF for it. */
  readonly typeId: number;
  readonly global: boolean;
}

/** A global data section: `.data`, `.rodata`, `.bss`, `.data.*`, `.rodata.*`. @example spec.dataSections.map((d) => d.name); // ['.data', '.rodata', '.bss'] */
export interface DataSectionSpec {
  readonly name: string;
  readonly kind: 'data' | 'rodata' | 'bss';
  readonly size: number;
  /** Initial contents; zeros for `.bss`. */
  readonly bytes: Uint8Array;
  readonly variables: readonly VariableSpec[];
}

/** An undefined symbol the loader must resolve: `.kconfig` value, `.ksyms` variable or kfunc. @example { name: 'LINUX_KERNEL_VERSION', kind: 'kconfig', weak: false, typeId: 2 } */
export interface ExternSpec extends Partial<ExternDetails> {
  readonly name: string;
  readonly kind: 'kconfig' | 'ksym' | 'kfunc' | 'unknown';
  readonly weak: boolean;
  readonly typeId: number;
}

/** Everything in an object that a loader needs, as plain data in a stable order. @example const { programs, maps, dataSections } = loadObjectSpec(bytes); */
export interface ObjectSpec {
  readonly license: string;
  readonly kernelVersion: number;
  readonly programs: readonly ProgramSpec[];
  /** `.text` functions (and other non-program functions). */
  readonly subprograms: readonly FunctionSpec[];
  readonly maps: readonly MapSpec[];
  readonly dataSections: readonly DataSectionSpec[];
  readonly externs: readonly ExternSpec[];
  readonly btf: Btf | undefined;
  /** `__arena` globals (`.addr_space.1`) and their ARENA map, when the object has any. */
  readonly arena?: ArenaSpec;
}

function dataKind(name: string): DataSectionSpec['kind'] | undefined {
  if (name === '.bss') return 'bss';
  if (name === '.data' || name.startsWith('.data.')) return 'data';
  if (name === '.rodata' || name.startsWith('.rodata.')) return 'rodata';
  return undefined;
}

function sectionBytes(elf: ElfFile, s: ElfSection): Uint8Array {
  return elf.bytes.subarray(s.offset, s.offset + s.size);
}

interface RawFunction {
  readonly sym: ElfSymbol;
  readonly section: ElfSection;
  readonly start: number;
  readonly slots: number;
}

/** STT_FUNC symbols of executable sections, checked to lie inside, aligned and not overlapping. */
function functionsOf(elf: ElfFile): Map<number, RawFunction[]> {
  const bySection = new Map<number, RawFunction[]>();
  for (const sym of elf.symbols) {
    if (sym.type !== STT_FUNC || sym.shndx === 0 || sym.shndx >= 0xff00) continue;
    const section = elf.sections[sym.shndx];
    if (section === undefined || section.type !== ShType.PROGBITS || (section.flags & SHF_EXECINSTR) === 0) continue;
    if (sym.value % 8 !== 0 || sym.size % 8 !== 0 || sym.size === 0 || sym.value > section.size || sym.size > section.size - sym.value) {
      throw elfError('bad-function', `function ${sym.name} (${String(sym.value)}+${String(sym.size)}) does not fit section ${section.name}`);
    }
    const list = bySection.get(sym.shndx) ?? [];
    list.push({ sym, section, start: sym.value / 8, slots: sym.size / 8 });
    bySection.set(sym.shndx, list);
  }
  for (const list of bySection.values()) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1];
      const cur = list[i];
      if (prev !== undefined && cur !== undefined && prev.start + prev.slots > cur.start) {
        throw elfError('bad-function', `functions ${prev.sym.name} and ${cur.sym.name} overlap in section ${cur.section.name}`);
      }
    }
  }
  return bySection;
}

interface Context {
  readonly elf: ElfFile;
  readonly btf: Btf | undefined;
  readonly functions: Map<number, RawFunction[]>;
  readonly externKinds: Map<string, ExternSpec>;
  /** Per section: function by first slot; REL entries sorted by offset. */
  readonly starts: Map<number, Map<number, RawFunction>>;
  readonly sortedRels: Map<number, readonly ElfRel[]>;
}

/** First index whose key is >= `key` in a list sorted by that key (keeps every walk linear-log). */
function lowerBound<T>(list: readonly T[], key: number, keyOf: (x: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = list[mid];
    if (x !== undefined && keyOf(x) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function within<T>(list: readonly T[], from: number, to: number, keyOf: (x: T) => number): readonly T[] {
  return list.slice(lowerBound(list, from, keyOf), lowerBound(list, to, keyOf));
}

/** Finds a symbol by section and name; built once, so lookups stay linear in the file size. */
interface SymbolIndex {
  /** The first symbol of that name in that section. */
  inSection(shndx: number, name: string): ElfSymbol | undefined;
  /** The first STT_OBJECT symbol of that name in that section. */
  objectInSection(shndx: number, name: string): ElfSymbol | undefined;
}

/**
 * Keyed by section and name rather than by name alone: many same-named symbols in other
 * sections would otherwise be scanned once per BTF variable (quadratic in a crafted file).
 */
function indexSymbols(elf: ElfFile): SymbolIndex {
  const any = new Map<string, ElfSymbol>();
  const objects = new Map<string, ElfSymbol>();
  const key = (shndx: number, name: string): string => `${String(shndx)}\0${name}`;
  for (const y of elf.symbols) {
    const k = key(y.shndx, y.name);
    if (!any.has(k)) any.set(k, y);
    if (y.type === STT_OBJECT && !objects.has(k)) objects.set(k, y);
  }
  return {
    inSection: (shndx, name) => any.get(key(shndx, name)),
    objectInSection: (shndx, name) => objects.get(key(shndx, name)),
  };
}

function functionAt(ctx: Context, shndx: number, slot: number): string {
  const f = ctx.starts.get(shndx)?.get(slot);
  const sec = ctx.elf.sections[shndx]?.name ?? String(shndx);
  if (f === undefined) throw elfError('bad-call', `call target ${sec}+${String(slot)} is not the start of a function`);
  return f.sym.name;
}

function relocationFor(ctx: Context, fn: RawFunction, offset: number, type: number, sym: ElfSymbol, insn: Insn): RelocationSpec {
  const at = offset / 8 - fn.start;
  const where = `${fn.section.name}+${String(offset)}`;
  if (type === RelocType.R_BPF_64_32 || (insn.code === BPF_CALL && insn.src === BPF_PSEUDO_CALL)) {
    if (insn.code !== BPF_CALL || insn.src !== BPF_PSEUDO_CALL) {
      throw elfError('bad-relo', `${where}: call relocation on an instruction that is not a bpf-to-bpf call (code 0x${insn.code.toString(16)})`);
    }
    if (sym.shndx === 0) return { insn: at, kind: 'extern', extern: sym.name };
    // Section symbols (static callees) carry the target in imm: slot = value/8 + imm + 1.
    const slot = sym.type === STT_SECTION ? sym.value / 8 + insn.imm + 1 : sym.value / 8;
    return { insn: at, kind: 'call', function: functionAt(ctx, sym.shndx, slot) };
  }
  if (type !== RelocType.R_BPF_64_64) throw elfError('bad-relo', `${where}: relocation type ${String(type)} is not supported in code`);
  if (insn.code !== BPF_LD_IMM64) {
    throw elfError('bad-relo', `${where}: 64-bit relocation on an instruction that is not ld_imm64 (code 0x${insn.code.toString(16)})`);
  }
  if (sym.shndx === 0) return { insn: at, kind: 'extern', extern: sym.name };
  const target = ctx.elf.sections[sym.shndx];
  if (target === undefined) throw elfError('bad-relo', `${where}: symbol ${sym.name} is in no section`);
  if (target.name === '.maps') {
    if (sym.type === STT_SECTION) throw elfError('bad-relo', `${where}: map reference through a section symbol`);
    return { insn: at, kind: 'map', map: sym.name };
  }
  if (target.name === ARENA_SECTION) {
    return { insn: at, kind: 'arena', offset: (sym.type === STT_SECTION ? 0 : sym.value) + insn.imm };
  }
  if (dataKind(target.name) !== undefined) {
    const base = sym.type === STT_SECTION ? 0 : sym.value;
    return { insn: at, kind: 'data', section: target.name, offset: base + insn.imm };
  }
  if ((target.flags & SHF_EXECINSTR) !== 0) {
    const slot = (sym.type === STT_SECTION ? insn.imm : sym.value + insn.imm) / 8;
    return { insn: at, kind: 'func-addr', function: functionAt(ctx, sym.shndx, slot) };
  }
  throw elfError('bad-relo', `${where}: reference to section ${target.name}, which is neither maps, data nor code`);
}

function buildFunction(ctx: Context, fn: RawFunction, ext: BtfExtSection | undefined, sectionName: string): FunctionSpec {
  const code = sectionBytes(ctx.elf, fn.section);
  const slotsBytes = code.subarray(fn.start * 8, (fn.start + fn.slots) * 8);
  let insns: Insn[];
  try {
    insns = decodeProgram(slotsBytes);
  } catch (e) {
    if (e instanceof BpfError) throw elfError('bad-code', `function ${fn.sym.name}: ${e.message}`);
    throw e;
  }
  const bySlot = new Map<number, Insn>();
  let slot = 0;
  for (const insn of insns) {
    bySlot.set(slot, insn);
    slot += insn.code === BPF_LD_IMM64 ? 2 : 1;
  }
  const relocations: RelocationSpec[] = [];
  for (const rel of within(ctx.sortedRels.get(fn.section.index) ?? [], fn.start * 8, (fn.start + fn.slots) * 8, (r) => r.offset)) {
    if (rel.offset % 8 !== 0) throw elfError('bad-relo', `${fn.section.name}+${String(rel.offset)}: relocation not on an instruction boundary`);
    const s = rel.offset / 8;
    const insn = bySlot.get(s - fn.start);
    const sym = ctx.elf.symbols[rel.symbol];
    if (insn === undefined || sym === undefined) throw elfError('bad-relo', `${fn.section.name}+${String(rel.offset)}: relocation in the middle of ld_imm64`);
    relocations.push(relocationFor(ctx, fn, rel.offset, rel.type, sym, insn));
  }
  const inRange = <T extends { insnOff: number }>(list: readonly T[] | undefined): T[] =>
    within(list ?? [], fn.start, fn.start + fn.slots, (r) => r.insnOff).map((r) => ({ ...r, insnOff: r.insnOff - fn.start }));
  return {
    name: fn.sym.name,
    section: sectionName,
    sectionInsn: fn.start,
    global: fn.sym.bind !== STB_LOCAL,
    insns,
    slots: fn.slots,
    relocations,
    funcInfo: inRange(ext?.funcInfo),
    lineInfo: inRange(ext?.lineInfo),
    coreRelos: inRange(ext?.coreRelos),
  };
}

function dataSections(elf: ElfFile, btf: Btf | undefined, symbols: SymbolIndex): DataSectionSpec[] {
  const out: DataSectionSpec[] = [];
  const bySection = new Map<number, ElfSymbol[]>();
  for (const y of elf.symbols) {
    if (y.type !== STT_OBJECT) continue;
    const list = bySection.get(y.shndx) ?? [];
    list.push(y);
    bySection.set(y.shndx, list);
  }
  // Looked up once per name: many sections of one name against many BTF types of that name would be quadratic.
  const datasecIds = new Map<string, number | undefined>();
  const datasecIdOf = (name: string): number | undefined => {
    if (!datasecIds.has(name)) datasecIds.set(name, btf?.byName(name, 'DATASEC'));
    return datasecIds.get(name);
  };
  for (const s of elf.sections) {
    const kind = dataKind(s.name);
    if (kind === undefined || (s.type !== ShType.PROGBITS && s.type !== ShType.NOBITS)) continue;
    if (s.type === ShType.NOBITS && s.size > 1 << 24) throw elfError('bad-data', `section ${s.name} of ${String(s.size)} bytes is too large`);
    const bytes = s.type === ShType.NOBITS ? new Uint8Array(s.size) : elf.bytes.slice(s.offset, s.offset + s.size);
    const variables: VariableSpec[] = [];
    const datasecId = datasecIdOf(s.name);
    const datasec = datasecId === undefined ? undefined : btf?.type(datasecId);
    if (btf !== undefined && datasec?.kind === 'DATASEC') {
      for (const v of datasec.vars) {
        const vt = btf.type(v.type);
        if (vt?.kind !== 'VAR') throw elfError('bad-btf', `DATASEC ${s.name} lists type ${String(v.type)}, which is not a VAR`);
        // clang leaves DATASEC offsets 0; the symbol table has the real place (libbpf fixes it the same way).
        const sym = symbols.objectInSection(s.index, vt.name);
        const offset = sym?.value ?? v.offset;
        const size = typeSize(btf, vt.type) ?? v.size;
        if (offset > s.size || size > s.size - offset) throw elfError('bad-data', `variable ${vt.name} (${String(offset)}+${String(size)}) does not fit section ${s.name}`);
        variables.push({ name: vt.name, offset, size, typeId: vt.type, global: vt.linkage !== 0 });
      }
    } else {
      for (const y of bySection.get(s.index) ?? []) {
        if (y.value > s.size || y.size > s.size - y.value) throw elfError('bad-data', `variable ${y.name} does not fit section ${s.name}`);
        variables.push({ name: y.name, offset: y.value, size: y.size, typeId: 0, global: y.bind !== STB_LOCAL });
      }
    }
    variables.sort((a, b) => a.offset - b.offset || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    out.push({ name: s.name, kind, size: s.size, bytes, variables });
  }
  return out;
}

function externKinds(btf: Btf | undefined): Map<string, ExternSpec> {
  const out = new Map<string, ExternSpec>();
  if (btf === undefined) return out;
  for (const [secName, kind] of [['.kconfig', 'kconfig'], ['.ksyms', 'ksym']] as const) {
    const id = btf.byName(secName, 'DATASEC');
    const sec = id === undefined ? undefined : btf.type(id);
    if (sec?.kind !== 'DATASEC') continue;
    for (const v of sec.vars) {
      const t = btf.type(v.type);
      if (t?.kind === 'VAR') out.set(t.name, { name: t.name, kind, weak: false, typeId: t.type, ...externDetails(btf, kind, v.type) });
      else if (t?.kind === 'FUNC') out.set(t.name, { name: t.name, kind: 'kfunc', weak: false, typeId: v.type, ...externDetails(btf, kind, v.type) });
    }
  }
  return out;
}

function maps(elf: ElfFile, btf: Btf | undefined, symbols: SymbolIndex): MapSpec[] {
  const mapsSec = elf.sections.find((s) => s.name === '.maps');
  if (mapsSec === undefined) return [];
  if (btf === undefined) throw elfError('no-btf', "section '.maps' needs .BTF to describe its maps");
  const id = btf.byName('.maps', 'DATASEC');
  const sec = id === undefined ? undefined : btf.type(id);
  if (sec?.kind !== 'DATASEC') throw elfError('bad-btf', "no DATASEC '.maps' in .BTF");
  const out: { offset: number; size: number; typeId: number; spec: MapSpec }[] = [];
  for (const v of sec.vars) {
    const vt = btf.type(v.type);
    if (vt?.kind !== 'VAR') throw elfError('bad-btf', `DATASEC .maps lists type ${String(v.type)}, which is not a VAR`);
    const sym = symbols.inSection(mapsSec.index, vt.name);
    if (sym === undefined) throw elfError('bad-map-def', `map '${vt.name}' has no symbol in section .maps`);
    out.push({ offset: sym.value, size: sym.size, typeId: vt.type, spec: parseMapDef(btf, vt.name, vt.type, false) });
  }
  out.sort((a, b) => a.offset - b.offset);
  const slots = mapSlots(elf, btf, mapsSec, out);
  return out.map((x) => ({ ...x.spec, initialValues: slots.get(x.spec.name) ?? [] }));
}

/**
 * `.values = { [i] = &x }` of prog arrays and map-in-map: ABS64 relocations in
 * `.maps` whose offset falls in a map's `values` array (as libbpf's
 * `bpf_object__init_user_btf_map_slots`).
 */
function mapSlots(
  elf: ElfFile, btf: Btf, mapsSec: ElfSection,
  defs: readonly { offset: number; size: number; typeId: number; spec: MapSpec }[],
): Map<string, MapSlotSpec[]> {
  const out = new Map<string, MapSlotSpec[]>();
  for (const rel of elf.rels.get(mapsSec.index) ?? []) {
    const sym = elf.symbols[rel.symbol];
    if (sym === undefined) continue;
    if (rel.type !== RelocType.R_BPF_64_64 && rel.type !== RelocType.R_BPF_64_ABS64) {
      throw elfError('bad-map-slot', `.maps relo at ${String(rel.offset)}: unexpected relocation type ${String(rel.type)}`);
    }
    const def = defs[lowerBound(defs, rel.offset + 1, (d) => d.offset) - 1];
    if (def === undefined || rel.offset >= def.offset + def.size) throw elfError('bad-map-slot', `.maps relo at ${String(rel.offset)} is in no map`);
    const values = btf.members(def.typeId).find((m) => m.name === 'values');
    const base = def.offset + (values === undefined ? 0 : values.bitsOffset / 8);
    if (values === undefined || rel.offset < base || (rel.offset - base) % 8 !== 0) {
      throw elfError('bad-map-slot', `map '${def.spec.name}': relocation at ${String(rel.offset)} is not a slot of its values`);
    }
    const index = (rel.offset - base) / 8;
    if (index >= def.spec.maxEntries) throw elfError('bad-map-slot', `map '${def.spec.name}': slot ${String(index)} is past max_entries ${String(def.spec.maxEntries)}`);
    const inMaps = sym.shndx === mapsSec.index;
    if (def.spec.valuesAreProgs === inMaps || (!inMaps && sym.type !== STT_FUNC)) {
      throw elfError('bad-map-slot', `map '${def.spec.name}': slot ${String(index)} points to ${sym.name}, which is not a ${def.spec.valuesAreProgs ? 'program' : 'map'}`);
    }
    const list = out.get(def.spec.name) ?? [];
    list.push({ index, target: sym.name });
    out.set(def.spec.name, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.index - b.index);
  return out;
}

/**
 * Relocations the call-graph walks may look at, over all programs. Each program walks its own
 * graph (as libbpf appends subprograms per program), so a crafted object of many programs that
 * all reach many functions is quadratic; real objects stay orders of magnitude below this.
 */
const MAX_CALL_GRAPH_WORK = 1 << 20;

function reachable(start: FunctionSpec, byName: ReadonlyMap<string, FunctionSpec>, budget: { left: number }): string[] {
  const seen = new Set<string>();
  const todo: FunctionSpec[] = [start];
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    budget.left -= f.relocations.length;
    if (budget.left < 0) {
      throw elfError('call-graph-too-large', `programs reach subprograms through more than ${String(MAX_CALL_GRAPH_WORK)} relocations in all (at program ${start.name})`);
    }
    for (const r of f.relocations) {
      if (r.kind !== 'call' && r.kind !== 'func-addr') continue;
      if (r.function === start.name && f === start) continue;
      if (seen.has(r.function)) continue;
      seen.add(r.function);
      const next = byName.get(r.function);
      if (next !== undefined) todo.push(next);
    }
  }
  seen.delete(start.name);
  // Sorting the names costs about as much again.
  budget.left -= seen.size;
  return [...seen].sort();
}

/**
 * Reads a clang-built BPF object into an {@link ObjectSpec}, as libbpf's
 * `bpf_object__open` does before anything touches a kernel. The same bytes
 * always give the same spec. Malformed input throws `BpfError` (EINVAL, or
 * EOPNOTSUPP for what libbpf refuses on purpose).
 *
 * @example
 * const spec = loadObjectSpec(readFileSync('xdp_filter.o'));
 * spec.programs[0]?.progTypeName; // 'BPF_PROG_TYPE_XDP'
 * spec.maps[0]?.name;             // 'counts'
 */
export function loadObjectSpec(bytes: Uint8Array): ObjectSpec {
  const elf = readElf(bytes);
  if (elf.sections.some((s) => s.name === 'maps')) {
    throw new BpfError('EOPNOTSUPP', 'elf:legacy-maps', "legacy map definitions in 'maps' section are not supported (libbpf v1.0+); use BTF-defined maps in '.maps'");
  }
  const btfSec = elf.sections.find((s) => s.name === '.BTF' && s.type === ShType.PROGBITS);
  const btf = btfSec === undefined ? undefined : decodeBtf(sectionBytes(elf, btfSec));
  const extSec = elf.sections.find((s) => s.name === '.BTF.ext' && s.type === ShType.PROGBITS);
  const ext = extSec === undefined || btf === undefined ? new Map<string, BtfExtSection>() : parseBtfExt(sectionBytes(elf, extSec), btf);

  const licenseSec = elf.sections.find((s) => s.name === 'license');
  const license = licenseSec === undefined ? '' : new TextDecoder().decode(sectionBytes(elf, licenseSec)).split('\0')[0] ?? '';
  const versionSec = elf.sections.find((s) => s.name === 'version');
  if (versionSec !== undefined && versionSec.size !== 4) throw elfError('bad-version', `section version has ${String(versionSec.size)} bytes, not 4`);
  const kernelVersion = versionSec === undefined ? 0 : new DataView(bytes.buffer, bytes.byteOffset + versionSec.offset, 4).getUint32(0, true);

  const functions = functionsOf(elf);
  const starts = new Map([...functions].map(([i, fns]) => [i, new Map(fns.map((f) => [f.start, f]))]));
  const sortedRels = new Map([...elf.rels].map(([i, rels]) => [i, [...rels].sort((a, b) => a.offset - b.offset)]));
  const ctx: Context = { elf, btf, functions, externKinds: externKinds(btf), starts, sortedRels };
  const symbols = indexSymbols(elf);
  const programs: ProgramSpec[] = [];
  const subprograms: FunctionSpec[] = [];
  for (const [shndx, fns] of [...ctx.functions.entries()].sort((a, b) => a[0] - b[0])) {
    const section = elf.sections[shndx];
    if (section === undefined) continue;
    const autoload = !section.name.startsWith('?');
    const secName = autoload ? section.name : section.name.slice(1);
    const sectionExt = ext.get(section.name);
    for (const fn of fns) {
      const f = buildFunction(ctx, fn, sectionExt, secName);
      if (section.name === '.text') {
        subprograms.push(f);
        continue;
      }
      if (fn.sym.bind === STB_LOCAL) {
        throw new BpfError('EOPNOTSUPP', 'elf:static-program', `sec '${section.name}': program '${fn.sym.name}' is static and not supported`);
      }
      const def = findSecDef(secName);
      const slash = secName.indexOf('/');
      programs.push({
        ...f,
        sectionName: section.name,
        secDef: def?.pattern,
        progType: def === undefined ? 0 : BpfProgType[def.progType],
        progTypeName: def?.progType ?? 'BPF_PROG_TYPE_UNSPEC',
        expectedAttachType: def?.attachType === undefined ? 0 : BpfAttachType[def.attachType],
        expectedAttachTypeName: def?.attachType,
        attachTo: slash < 0 ? '' : secName.slice(slash + 1),
        sleepable: def?.sleepable ?? false,
        xdpFrags: def?.xdpFrags ?? false,
        autoload,
        subprograms: [],
      });
    }
  }
  const byName = new Map<string, FunctionSpec>([...subprograms, ...programs].map((f) => [f.name, f]));
  const budget = { left: MAX_CALL_GRAPH_WORK };
  const withSubs = programs.map((p) => ({ ...p, subprograms: reachable(p, byName, budget) }));

  const externs: ExternSpec[] = [];
  for (const sym of elf.symbols) {
    if (sym.shndx !== 0 || sym.index === 0 || sym.name === '' || sym.bind === STB_LOCAL) continue;
    const known = ctx.externKinds.get(sym.name);
    externs.push({ ...known, name: sym.name, kind: known?.kind ?? 'unknown', weak: sym.bind === STB_WEAK, typeId: known?.typeId ?? 0 });
  }
  externs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const structOpsProgs = new Set(withSubs.filter((p) => p.progTypeName === 'BPF_PROG_TYPE_STRUCT_OPS').map((p) => p.name));
  const allMaps = [...maps(elf, btf, symbols), ...structOpsMaps(elf, btf, (name) => structOpsProgs.has(name))];
  const arena = arenaOf(elf, btf, allMaps);
  return {
    license,
    kernelVersion,
    programs: withSubs,
    subprograms,
    maps: allMaps,
    dataSections: dataSections(elf, btf, symbols),
    externs,
    btf,
    ...(arena === undefined ? {} : { arena }),
  };
}
