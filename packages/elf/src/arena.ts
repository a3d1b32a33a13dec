import type { Btf } from '@bpfkit/btf';
import { BpfError } from '@bpfkit/kernel-api';
import type { MapSpec } from './btfMaps.js';
import { ShType, type ElfFile } from './elfFile.js';
import { elfError } from './errors.js';

/** The section clang puts `__attribute__((address_space(1)))` globals in. @example ARENA_SECTION; // '.addr_space.1' */
export const ARENA_SECTION = '.addr_space.1';
/** `BPF_MAP_TYPE_ARENA`. @example ARENA_MAP_TYPE; // 33 */
export const ARENA_MAP_TYPE = 33;
/** The page size arena sizes are counted in (libbpf uses the host's; bpfkit's kernel has 4 KiB pages). @example ARENA_PAGE_SIZE; // 4096 */
export const ARENA_PAGE_SIZE = 4096;

/** One `__arena` global. @example { name: 'counter', offset: 0, size: 4, typeId: 3, global: true } */
export interface ArenaVariableSpec {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly typeId: number;
  readonly global: boolean;
}

/**
 * The `__arena` globals of an object and the ARENA map that holds them. libbpf
 * copies `bytes` into the map's user mapping after the map is created, at
 * `dataOffset` = the arena's size (`maxEntries` pages) minus `size` rounded up to
 * a page; an `arena` relocation's offset is relative to that start.
 *
 * @example
 * loadObjectSpec(bytes).arena; // { map: 'arena', size: 32, bytes, variables: [{ name: 'counter', … }], dataOffset: 12288 }
 */
export interface ArenaSpec {
  /** The ARENA map of `.maps` (exactly one is allowed). */
  readonly map: string;
  readonly size: number;
  readonly bytes: Uint8Array;
  readonly variables: readonly ArenaVariableSpec[];
  /**
   * Where the data starts inside the arena: its last pages (what current libbpf uses when the
   * kernel takes full-range ld_imm64 offsets; older libbpf and kernels put it at 0).
   */
  readonly dataOffset: number;
}

/**
 * Reads `.addr_space.1` and checks it against the ARENA maps as libbpf's map
 * initialisation does: only one ARENA map (EINVAL), arena globals need one
 * (ENOENT), and they must fit its pages (E2BIG).
 *
 * @example
 * arenaOf(readElf(bytes), btf, maps)?.map; // 'arena'
 */
export function arenaOf(elf: ElfFile, btf: Btf | undefined, maps: readonly MapSpec[]): ArenaSpec | undefined {
  const arenaMaps = maps.filter((m) => m.type === ARENA_MAP_TYPE);
  const second = arenaMaps[1];
  if (second !== undefined) {
    throw elfError('multiple-arenas', `map '${second.name}': only single ARENA map is supported (map '${arenaMaps[0]?.name ?? ''}' is also ARENA)`);
  }
  const sec = elf.sections.find((s) => s.name === ARENA_SECTION);
  if (sec === undefined) return undefined;
  if (sec.type !== ShType.PROGBITS && sec.type !== ShType.NOBITS) throw elfError('bad-arena', `section ${ARENA_SECTION} is neither PROGBITS nor NOBITS`);
  const map = arenaMaps[0];
  if (map === undefined) {
    throw new BpfError('ENOENT', 'elf:no-arena-map', `sec '${ARENA_SECTION}': to use global __arena variables the ARENA map should be explicitly declared in SEC(".maps")`);
  }
  const mapSize = map.maxEntries * ARENA_PAGE_SIZE;
  const dataPages = Math.ceil(sec.size / ARENA_PAGE_SIZE) * ARENA_PAGE_SIZE;
  if (dataPages > mapSize) {
    throw new BpfError('E2BIG', 'elf:arena-too-small', `sec '${ARENA_SECTION}': declared ARENA map size (${String(mapSize)}) is too small to hold global __arena variables of size ${String(sec.size)}`);
  }
  const bytes = sec.type === ShType.NOBITS ? new Uint8Array(sec.size) : elf.bytes.slice(sec.offset, sec.offset + sec.size);
  const variables: ArenaVariableSpec[] = [];
  const dsId = btf?.byName(ARENA_SECTION, 'DATASEC');
  const ds = dsId === undefined ? undefined : btf?.type(dsId);
  const syms = elf.symbols.filter((y) => y.shndx === sec.index && y.type === 1);
  const symByName = new Map(syms.map((y) => [y.name, y]));
  if (btf !== undefined && ds?.kind === 'DATASEC') {
    for (const vsi of ds.vars) {
      const v = btf.type(vsi.type);
      if (v?.kind !== 'VAR') throw elfError('bad-btf', `DATASEC ${ARENA_SECTION} lists type ${String(vsi.type)}, which is not a VAR`);
      const offset = symByName.get(v.name)?.value ?? vsi.offset;
      const size = btf.size(v.type) ?? vsi.size;
      variables.push({ name: v.name, offset, size, typeId: v.type, global: v.linkage !== 0 });
    }
  } else {
    for (const y of syms) variables.push({ name: y.name, offset: y.value, size: y.size, typeId: 0, global: y.bind !== 0 });
  }
  for (const v of variables) {
    if (v.offset > sec.size || v.size > sec.size - v.offset) throw elfError('bad-arena', `variable ${v.name} (${String(v.offset)}+${String(v.size)}) does not fit section ${ARENA_SECTION}`);
  }
  variables.sort((a, b) => a.offset - b.offset || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { map: map.name, size: sec.size, bytes, variables, dataOffset: mapSize - dataPages };
}
