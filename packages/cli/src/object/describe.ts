import type { Btf } from '@bpfkit/btf';
import { typeSize, type DataSectionSpec, type ExternSpec, type FunctionSpec, type ObjectSpec } from '@bpfkit/elf';
import { attachTypeStr, internalMapName, mapTypeStr, objectNameFromPath, progTypeStr } from '@bpfkit/libbpf';
import { declaration } from './typeName.js';

const BPF_F_RDONLY_PROG = 0x80;
const BPF_F_MMAPABLE = 0x400;

/** One program of `object show`. @example { name: 'xdp_filter', section: 'xdp', prog_type: 'xdp', expected_attach_type: 'xdp', insn_cnt: 28, autoload: true, … } */
export interface ProgramRow {
  readonly name: string;
  readonly section: string;
  readonly prog_type: string;
  /** `null` when the section sets none (libbpf then passes 0). */
  readonly expected_attach_type: string | null;
  readonly attach_to: string;
  /** Slots of the program's own function, before subprograms are appended. */
  readonly insn_cnt: number;
  readonly autoload: boolean;
  readonly sleepable: boolean;
  readonly subprograms: readonly string[];
  readonly func_info: number;
  readonly line_info: number;
  readonly core_relos: number;
}

/** One map of `object show`, user-defined or internal. @example { name: 'xdp_filt.rodata', type: 'array', key_size: 4, value_size: 4, max_entries: 1, flags: 0x480, internal: true, section: '.rodata' } */
export interface MapRow {
  readonly name: string;
  readonly type: string;
  readonly key_size: number;
  readonly value_size: number;
  readonly max_entries: number;
  readonly flags: number;
  readonly internal: boolean;
  /** The ELF section an internal map holds (`.rodata`, `.kconfig`), `null` for `.maps` maps. */
  readonly section: string | null;
  readonly inner: string | null;
  readonly pinning: 'none' | 'by_name';
}

/** One global variable. @example { section: '.rodata', name: 'drop_proto', offset: 0, size: 4, type: 'const volatile __u32', global: true } */
export interface GlobalRow {
  readonly section: string;
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly type: string;
  readonly global: boolean;
}

/** One extern. @example { name: 'LINUX_KERNEL_VERSION', kind: 'kconfig', weak: false, type: 'unsigned int' } */
export interface ExternRow {
  readonly name: string;
  readonly kind: ExternSpec['kind'];
  readonly weak: boolean;
  readonly type: string;
}

/**
 * What `bpfkit object show` prints, as a stable JSON document.
 *
 * @example
 * describeObject(loadObjectSpec(bytes), 'xdp_filter.o').maps.map((m) => m.name); // ['counts', 'xdp_filt.rodata']
 */
export interface ObjectDescription {
  /** The file's basename. */
  readonly file: string;
  /** The object name libbpf derives from it. */
  readonly name: string;
  readonly license: string;
  readonly kern_version: number;
  readonly programs: readonly ProgramRow[];
  readonly subprograms: readonly string[];
  readonly maps: readonly MapRow[];
  readonly globals: readonly GlobalRow[];
  readonly externs: readonly ExternRow[];
  readonly btf: { readonly types: number; readonly string_bytes: number } | null;
  readonly func_info: number;
  readonly line_info: number;
  readonly core_relos: number;
}

function typeText(btf: Btf | undefined, id: number): string {
  return btf === undefined || id === 0 ? '' : declaration(btf, id);
}

function typeSizeAlign(btf: Btf, id: number): { size: number; align: number } {
  const size = typeSize(btf, id) ?? 0;
  let cur = id;
  for (let depth = 0; depth < 32; depth++) {
    const t = btf.type(cur);
    if (t === undefined) break;
    if (t.kind === 'TYPEDEF' || t.kind === 'CONST' || t.kind === 'VOLATILE' || t.kind === 'RESTRICT' || t.kind === 'TYPE_TAG' || t.kind === 'ARRAY') {
      cur = t.type;
      continue;
    }
    if (t.kind === 'INT' || t.kind === 'ENUM' || t.kind === 'ENUM64' || t.kind === 'FLOAT') return { size, align: Math.max(1, Math.min(8, t.size)) };
    if (t.kind === 'PTR') return { size, align: 8 };
    break;
  }
  return { size, align: Math.max(1, Math.min(8, size)) };
}

/** libbpf's `.kconfig` map: kconfig externs sorted by alignment (descending), size, then name, each placed at its alignment. */
function kconfigSize(spec: ObjectSpec): number {
  const btf = spec.btf;
  if (btf === undefined) return 0;
  const kcfg = spec.externs
    .filter((e) => e.kind === 'kconfig')
    .map((e) => ({ name: e.name, ...typeSizeAlign(btf, e.typeId) }))
    .sort((a, b) => b.align - a.align || a.size - b.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let off = 0;
  for (const e of kcfg) off = Math.ceil(off / e.align) * e.align + e.size;
  return off;
}

function internalMap(objName: string, section: string, valueSize: number, flags: number): MapRow {
  return {
    name: internalMapName(objName, section), type: 'array', key_size: 4, value_size: valueSize, max_entries: 1, flags,
    internal: true, section, inner: null, pinning: 'none',
  };
}

/** An internal map is mmap-able when its DATASEC has a non-static variable (what a skeleton exposes). */
function dataFlags(d: DataSectionSpec): number {
  const mmapable = d.variables.some((v) => v.typeId !== 0 && v.global);
  return (d.kind === 'rodata' ? BPF_F_RDONLY_PROG : 0) | (mmapable ? BPF_F_MMAPABLE : 0);
}

function counts(fns: readonly FunctionSpec[]): { func_info: number; line_info: number; core_relos: number } {
  let funcInfo = 0, lineInfo = 0, coreRelos = 0;
  for (const f of fns) {
    funcInfo += f.funcInfo.length;
    lineInfo += f.lineInfo.length;
    coreRelos += f.coreRelos.length;
  }
  return { func_info: funcInfo, line_info: lineInfo, core_relos: coreRelos };
}

/**
 * The programs, maps (libbpf's order: `.maps`, then a map per non-empty data section, then
 * `.kconfig`), globals, externs and BTF summary of an object, named as libbpf names them.
 *
 * @example
 * describeObject(loadObjectSpec(readFileSync('xdp_filter.o')), 'xdp_filter.o').programs[0]?.prog_type; // 'xdp'
 */
export function describeObject(spec: ObjectSpec, file: string): ObjectDescription {
  const objName = objectNameFromPath(file);
  const btf = spec.btf;
  const programs = spec.programs.map((p): ProgramRow => ({
    name: p.name,
    section: p.sectionName,
    prog_type: progTypeStr(p.progType),
    expected_attach_type: p.expectedAttachTypeName === undefined ? null : attachTypeStr(p.expectedAttachType),
    attach_to: p.attachTo,
    insn_cnt: p.slots,
    autoload: p.autoload,
    sleepable: p.sleepable,
    subprograms: p.subprograms,
    ...counts([p]),
  }));
  const maps: MapRow[] = spec.maps.map((m) => ({
    name: m.name,
    type: mapTypeStr(m.type),
    key_size: m.keySize,
    value_size: m.valueSize,
    max_entries: m.maxEntries,
    flags: m.flags,
    internal: false,
    section: null,
    inner: m.inner === undefined ? null : mapTypeStr(m.inner.type),
    pinning: m.pinning === 1 ? 'by_name' : 'none',
  }));
  for (const d of spec.dataSections) if (d.size > 0) maps.push(internalMap(objName, d.name, d.size, dataFlags(d)));
  const kconfig = kconfigSize(spec);
  if (kconfig > 0) maps.push(internalMap(objName, '.kconfig', kconfig, BPF_F_RDONLY_PROG | BPF_F_MMAPABLE));
  const globals = spec.dataSections.flatMap((d) => d.variables.map((v): GlobalRow => ({
    section: d.name, name: v.name, offset: v.offset, size: v.size, type: typeText(btf, v.typeId), global: v.global,
  })));
  return {
    file: file.replace(/^.*\//, ''),
    name: objName,
    license: spec.license,
    kern_version: spec.kernelVersion,
    programs,
    subprograms: spec.subprograms.map((f) => f.name),
    maps,
    globals,
    externs: spec.externs.map((e) => ({ name: e.name, kind: e.kind, weak: e.weak, type: typeText(btf, e.typeId) })),
    btf: btf === undefined ? null : { types: btf.nrTypes - 1, string_bytes: btf.header.strLen },
    ...counts([...spec.programs, ...spec.subprograms]),
  };
}

