import type { Btf, BtfComposite, BtfType } from '@bpfkit/btf';
import type { MapSpec } from './btfMaps.js';
import { RelocType, SHF_EXECINSTR, ShType, type ElfFile, type ElfSection } from './elfFile.js';
import { elfError } from './errors.js';

/** `BPF_MAP_TYPE_STRUCT_OPS`. @example STRUCT_OPS_MAP_TYPE; // 26 */
export const STRUCT_OPS_MAP_TYPE = 26;
/** `BPF_F_LINK`: the struct_ops map is registered through a link (`.struct_ops.link`). @example BPF_F_LINK; // 0x2000 */
export const BPF_F_LINK = 1 << 13;

const STT_FUNC = 2;

/** One function-pointer member of a struct_ops value that the object points at a program. @example { member: 'init', memberIndex: 0, offset: 0, program: 'kit_init' } */
export interface StructOpsSlotSpec {
  readonly member: string;
  /** Index in the struct's member list. */
  readonly memberIndex: number;
  /** Byte offset of the member in the value. */
  readonly offset: number;
  readonly program: string;
}

/**
 * What a `.struct_ops` / `.struct_ops.link` variable holds: the kernel struct it
 * implements (by its BTF name; the kernel's value type is `bpf_struct_ops_<typeName>`),
 * the initial bytes of the struct (function pointers zero) and the program of each
 * function-pointer member set in the initializer.
 *
 * @example
 * spec.maps.find((m) => m.name === 'kit')?.structOps?.typeName; // 'tcp_congestion_ops'
 */
export interface StructOpsSpec {
  readonly typeName: string;
  /** The STRUCT's id in the object's BTF. */
  readonly typeId: number;
  readonly section: '.struct_ops' | '.struct_ops.link';
  /** Where the variable starts in its section. */
  readonly sectionOffset: number;
  /** The struct's initial bytes (`valueSize` of them). */
  readonly bytes: Uint8Array;
  /** Function-pointer members set to programs, by offset. */
  readonly programs: readonly StructOpsSlotSpec[];
}

function skipMods(btf: Btf, id: number): { id: number; t: BtfType | undefined } {
  let cur = id;
  for (let depth = 0; depth < 32; depth++) {
    const t = btf.type(cur);
    if (t === undefined || (t.kind !== 'TYPEDEF' && t.kind !== 'VOLATILE' && t.kind !== 'CONST' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG')) {
      return { id: cur, t };
    }
    cur = t.type;
  }
  throw elfError('bad-struct-ops', `BTF type ${String(id)} has too many modifiers`);
}

function isFuncPtr(btf: Btf, id: number): boolean {
  const p = skipMods(btf, id).t;
  return p?.kind === 'PTR' && skipMods(btf, p.type).t?.kind === 'FUNC_PROTO';
}

interface Var { readonly name: string; readonly offset: number; readonly spec: MapSpec; readonly struct: BtfComposite }

/**
 * The struct_ops maps of an object, as libbpf's `init_struct_ops_maps` and
 * `collect_st_ops_relos`: one `BPF_MAP_TYPE_STRUCT_OPS` map per variable of the
 * `.struct_ops` and `.struct_ops.link` sections (key 4 bytes, value the struct,
 * one entry, `BPF_F_LINK` for `.struct_ops.link`), each function-pointer
 * relocation naming the STRUCT_OPS program of that member.
 *
 * @example
 * structOpsMaps(readElf(bytes), btf, (name) => name.startsWith('kit_')).map((m) => m.name); // ['kit', 'kit_link']
 */
export function structOpsMaps(elf: ElfFile, btf: Btf | undefined, isStructOpsProg: (name: string) => boolean): MapSpec[] {
  const out: MapSpec[] = [];
  for (const secName of ['.struct_ops', '.struct_ops.link'] as const) {
    const sec = elf.sections.find((s) => s.name === secName);
    if (sec === undefined) continue;
    if (sec.type !== ShType.PROGBITS) throw elfError('bad-struct-ops', `section ${secName} is not PROGBITS`);
    if (btf === undefined) throw elfError('no-btf', `section ${secName} needs .BTF to describe its struct_ops maps`);
    const vars = sectionVars(elf, btf, sec, secName);
    const slots = slotsOf(elf, btf, sec, vars, isStructOpsProg);
    for (const v of vars) {
      const programs = slots.get(v.name) ?? [];
      programs.sort((a, b) => a.offset - b.offset);
      out.push({ ...v.spec, structOps: { ...(v.spec.structOps ?? emptyOps(secName)), programs } });
    }
  }
  return out;
}

function emptyOps(section: StructOpsSpec['section']): StructOpsSpec {
  return { typeName: '', typeId: 0, section, sectionOffset: 0, bytes: new Uint8Array(0), programs: [] };
}

function sectionVars(elf: ElfFile, btf: Btf, sec: ElfSection, secName: StructOpsSpec['section']): Var[] {
  const dsId = btf.byName(secName, 'DATASEC');
  const ds = dsId === undefined ? undefined : btf.type(dsId);
  if (ds?.kind !== 'DATASEC') throw elfError('bad-struct-ops', `struct_ops init: DATASEC ${secName} not found`);
  const byName = new Map<string, number>();
  for (const y of elf.symbols) if (y.shndx === sec.index && y.name !== '' && !byName.has(y.name)) byName.set(y.name, y.value);
  const data = elf.bytes.subarray(sec.offset, sec.offset + sec.size);
  const vars: Var[] = [];
  for (const vsi of ds.vars) {
    const v = btf.type(vsi.type);
    if (v?.kind !== 'VAR') throw elfError('bad-struct-ops', `struct_ops init: DATASEC ${secName} lists type ${String(vsi.type)}, which is not a VAR`);
    const { id, t } = skipMods(btf, v.type);
    if (t?.kind !== 'STRUCT') throw elfError('bad-struct-ops', `struct_ops init: ${v.name} is not a struct`);
    if (t.name === '') throw elfError('bad-struct-ops', `struct_ops init: anonymous type for ${v.name}`);
    // clang leaves DATASEC offsets 0; the symbol has the real place.
    const offset = byName.get(v.name) ?? vsi.offset;
    if (offset > sec.size || t.size > sec.size - offset) {
      throw elfError('bad-struct-ops', `struct_ops init: var ${v.name} is beyond the end of DATASEC ${secName}`);
    }
    vars.push({
      name: v.name,
      offset,
      struct: t,
      spec: {
        name: v.name, type: STRUCT_OPS_MAP_TYPE, keySize: 4, valueSize: t.size, maxEntries: 1,
        flags: secName === '.struct_ops.link' ? BPF_F_LINK : 0, numaNode: 0, mapExtra: 0, pinning: 0,
        keyTypeId: 0, valueTypeId: id, inner: undefined, valuesAreProgs: false, initialValues: [],
        structOps: { typeName: t.name, typeId: id, section: secName, sectionOffset: offset, bytes: data.slice(offset, offset + t.size), programs: [] },
      },
    });
  }
  vars.sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < vars.length; i++) {
    const a = vars[i - 1], b = vars[i];
    if (a !== undefined && b !== undefined && a.offset + a.struct.size > b.offset) {
      throw elfError('bad-struct-ops', `struct_ops init: ${a.name} and ${b.name} overlap in ${secName}`);
    }
  }
  return vars;
}

/** The variable holding byte `offset` (vars are sorted and do not overlap): a binary search. */
function varAt(vars: readonly Var[], offset: number): Var | undefined {
  let lo = 0;
  let hi = vars.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = vars[mid];
    if (x !== undefined && x.offset <= offset) lo = mid + 1;
    else hi = mid;
  }
  const v = vars[lo - 1];
  return v !== undefined && offset < v.offset + v.struct.size ? v : undefined;
}

function slotsOf(
  elf: ElfFile, btf: Btf, sec: ElfSection, vars: readonly Var[], isStructOpsProg: (name: string) => boolean,
): Map<string, StructOpsSlotSpec[]> {
  const out = new Map<string, StructOpsSlotSpec[]>();
  const taken = new Set<string>();
  for (const rel of elf.rels.get(sec.index) ?? []) {
    const where = `struct_ops reloc ${sec.name}+${String(rel.offset)}`;
    if (rel.type !== RelocType.R_BPF_64_ABS64 && rel.type !== RelocType.R_BPF_64_64) {
      throw elfError('bad-struct-ops', `${where}: unexpected relocation type ${String(rel.type)}`);
    }
    const sym = elf.symbols[rel.symbol];
    const v = varAt(vars, rel.offset);
    if (sym === undefined || v === undefined) throw elfError('bad-struct-ops', `${where}: not inside any struct_ops variable`);
    const moff = rel.offset - v.offset;
    const memberIndex = v.struct.members.findIndex((m) => m.bitsOffset === moff * 8);
    const member = v.struct.members[memberIndex];
    if (member === undefined) throw elfError('bad-struct-ops', `${where}: cannot find member at moff ${String(moff)} of ${v.name}`);
    if (!isFuncPtr(btf, member.type)) throw elfError('bad-struct-ops', `${where}: member ${member.name} of ${v.name} is not a function pointer`);
    const target = elf.sections[sym.shndx];
    if (sym.type !== STT_FUNC || target === undefined || (target.flags & SHF_EXECINSTR) === 0 || sym.value % 8 !== 0) {
      throw elfError('bad-struct-ops', `${where}: ${v.name}.${member.name} points to ${sym.name}, which is not a program`);
    }
    if (!isStructOpsProg(sym.name)) {
      throw elfError('bad-struct-ops', `${where}: ${v.name}.${member.name} points to ${sym.name}, which is not a struct_ops program`);
    }
    const key = `${v.name}\0${String(moff)}`;
    if (taken.has(key)) throw elfError('bad-struct-ops', `${where}: ${v.name}.${member.name} is relocated twice`);
    taken.add(key);
    const list = out.get(v.name) ?? [];
    list.push({ member: member.name, memberIndex, offset: moff, program: sym.name });
    out.set(v.name, list);
  }
  return out;
}
