import { BpfError } from '@bpfkit/kernel-api';
import { globMatch } from './glob.js';
import { cString, format, sections } from './uprobe-elf.js';

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const STT_FUNC = 2;
const STB_WEAK = 2;
const SYM_SIZE = 24;

/** A function symbol as libbpf's `elf_sym_iter` yields it: its name, binding and file offset. */
interface FuncSymbol {
  readonly name: string;
  readonly bind: number;
  readonly offset: bigint;
}

/**
 * The `STT_FUNC` symbols of the first symbol table of type `shType` (none when the file
 * has no such table), each with its file offset (`st_value` moved from its section's
 * address to the section's file offset). Like libbpf's iterator, a symbol whose section
 * index names no section header is skipped, and an undefined one (section 0) is kept.
 */
function funcSymbols(bytes: Uint8Array, binary: string, shType: number): FuncSymbol[] | undefined {
  const { view, secs } = sections(bytes, binary);
  const table = secs.find((s) => s.type === shType);
  if (table === undefined) return undefined;
  const strtab = secs[table.link];
  if (strtab === undefined || table.entsize !== SYM_SIZE || table.offset + table.size > bytes.length || strtab.offset + strtab.size > bytes.length) {
    throw format(binary, 'bad symbol table');
  }
  const out: FuncSymbol[] = [];
  for (let o = table.offset; o + SYM_SIZE <= table.offset + table.size; o += SYM_SIZE) {
    const info = view.getUint8(o + 4);
    if ((info & 0xf) !== STT_FUNC) continue;
    const name = cString(bytes, strtab.offset + view.getUint32(o, true), strtab.offset + strtab.size);
    const home = secs[view.getUint16(o + 6, true)];
    if (name === undefined || home === undefined) continue;
    out.push({ name, bind: info >> 4, offset: BigInt.asUintN(64, view.getBigUint64(o + 8, true) - home.addr + BigInt(home.offset)) });
  }
  return out;
}

/**
 * libbpf's `elf_resolve_pattern_offsets`: the file offsets of every function whose name
 * matches the glob `pattern`, from `.symtab`, or from `.dynsym` when `.symtab` has none
 * (so a function is not listed twice). No match is ENOENT.
 *
 * @example
 * elfResolvePatternOffsets(readFileSync('/bin/true'), '/bin/true', 'main*'); // [0x1c40n]
 */
export function elfResolvePatternOffsets(bytes: Uint8Array, binary: string, pattern: string): bigint[] {
  for (const shType of [SHT_SYMTAB, SHT_DYNSYM]) {
    const found = (funcSymbols(bytes, binary, shType) ?? []).filter((s) => globMatch(s.name, pattern)).map((s) => s.offset);
    if (found.length > 0) return found;
  }
  throw new BpfError('ENOENT', 'libbpf:uprobe-no-symbol', `elf: no function of ${binary} matches '${pattern}'`);
}

/**
 * libbpf's `elf_resolve_syms_offsets` for functions: the file offset of each name (exact
 * names, no versions), from `.dynsym` then `.symtab`. Two different non-weak definitions
 * of a name are ESRCH, a weak one yields to a global one; a name not found is ENOENT.
 *
 * @example
 * elfResolveSymsOffsets(bytes, '/usr/lib/libc.so.6', ['malloc', 'free']); // [0xa5120n, 0xa5740n]
 */
export function elfResolveSymsOffsets(bytes: Uint8Array, binary: string, syms: readonly string[]): bigint[] {
  const found = new Map<string, { offset: bigint; bind: number }>();
  const wanted = new Set(syms);
  for (const shType of [SHT_DYNSYM, SHT_SYMTAB]) {
    for (const sym of funcSymbols(bytes, binary, shType) ?? []) {
      if (!wanted.has(sym.name)) continue;
      const prev = found.get(sym.name);
      if (prev !== undefined && prev.offset > 0n) {
        if (prev.offset === sym.offset) continue;
        if (prev.bind !== STB_WEAK && sym.bind !== STB_WEAK) {
          throw new BpfError('ESRCH', 'libbpf:uprobe-ambiguous', `elf: ambiguous match found '${sym.name}' in '${binary}': offsets 0x${prev.offset.toString(16)} and 0x${sym.offset.toString(16)}`);
        }
        if (sym.bind === STB_WEAK) continue;
      }
      found.set(sym.name, { offset: sym.offset, bind: sym.bind });
    }
  }
  return syms.map((name) => {
    const f = found.get(name);
    if (f === undefined) throw new BpfError('ENOENT', 'libbpf:uprobe-no-symbol', `elf: '${name}' is not a function of ${binary}`);
    return f.offset;
  });
}
