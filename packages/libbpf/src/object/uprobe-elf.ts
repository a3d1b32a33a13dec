import { BpfError } from '@bpfkit/kernel-api';

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const ET_EXEC = 2;
const ET_DYN = 3;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const STB_WEAK = 2;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;

/** LIBBPF_ERRNO__FORMAT of libbpf's ELF readers, here EINVAL. */
export function format(binary: string, why: string): BpfError {
  return new BpfError('EINVAL', 'libbpf:uprobe-elf-format', `elf: ${binary}: ${why}`);
}

/** What the uprobe ELF readers use of a section header. */
export interface Section {
  readonly type: number;
  readonly addr: bigint;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly entsize: number;
}

/** Reads the section headers of a little-endian ELF64 executable or shared object, bounds-checked. */
export function sections(bytes: Uint8Array, binary: string): { view: DataView; secs: Section[] } {
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) throw format(binary, 'not an ELF file');
  if (bytes[4] !== 2 || bytes[5] !== 1) throw format(binary, 'not a little-endian ELF64 file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint16(16, true);
  if (type !== ET_EXEC && type !== ET_DYN) throw format(binary, `ELF type ${type} is not an executable or a shared object`);
  const shoff = Number(view.getBigUint64(40, true));
  const shentsize = view.getUint16(58, true);
  const shnum = view.getUint16(60, true);
  if (shentsize !== 64 || shoff + shnum * 64 > bytes.length) throw format(binary, 'bad section header table');
  const secs: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * 64;
    const s: Section = {
      type: view.getUint32(o + 4, true), addr: view.getBigUint64(o + 16, true), offset: Number(view.getBigUint64(o + 24, true)),
      size: Number(view.getBigUint64(o + 32, true)), link: view.getUint32(o + 40, true), entsize: Number(view.getBigUint64(o + 56, true)),
    };
    secs.push(s);
  }
  return { view, secs };
}

/** The NUL-terminated string at `start`, or undefined when none ends before `end`. */
export function cString(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (start >= end) return undefined;
  const nul = bytes.subarray(start, end).indexOf(0);
  return nul < 0 ? undefined : new TextDecoder().decode(bytes.subarray(start, start + nul));
}

/** libbpf's `symbol_match` without a version: `name`, `name@VER` or `name@@VER`. */
function matches(symName: string, name: string): boolean {
  if (!symName.startsWith(name)) return false;
  const next = symName.charAt(name.length);
  return next === '' || (next === '@' && !name.includes('@'));
}

/**
 * libbpf's `elf_find_func_offset`: the file offset of function `name` in the ELF
 * executable or shared object `bytes` (its `st_value` moved from its section's address
 * to the section's file offset), looking in `.dynsym` first, then `.symtab`; functions
 * and IFUNCs only, defined ones. Two different non-weak definitions are ambiguous
 * (libbpf's LIBBPF_ERRNO__FORMAT, here EINVAL), a weak one yields to a global one; no
 * match, or an address of 0, is ENOENT. Symbol versions in `name` (`@LIB`) are matched
 * literally, not resolved as libbpf does.
 *
 * @example
 * elfFindFuncOffset(readFileSync('/bin/true'), '/bin/true', 'main'); // 0x1c40
 */
export function elfFindFuncOffset(bytes: Uint8Array, binary: string, name: string): bigint {
  const { view, secs } = sections(bytes, binary);
  let found: bigint | undefined;
  let foundBind = 0;
  for (const wanted of [SHT_DYNSYM, SHT_SYMTAB]) {
    for (const sec of secs.filter((s) => s.type === wanted)) {
      const strtab = secs[sec.link];
      if (strtab === undefined || sec.entsize !== 24 || sec.offset + sec.size > bytes.length || strtab.offset + strtab.size > bytes.length) {
        throw format(binary, 'bad symbol table');
      }
      for (let o = sec.offset; o + 24 <= sec.offset + sec.size; o += 24) {
        const info = view.getUint8(o + 4);
        const type = info & 0xf;
        const shndx = view.getUint16(o + 6, true);
        if ((type !== STT_FUNC && type !== STT_GNU_IFUNC) || shndx === SHN_UNDEF || shndx >= SHN_LORESERVE) continue;
        const symName = cString(bytes, strtab.offset + view.getUint32(o, true), strtab.offset + strtab.size);
        if (symName === undefined || !matches(symName, name)) continue;
        const home = secs[shndx];
        if (home === undefined) continue;
        const off = BigInt.asUintN(64, view.getBigUint64(o + 8, true) - home.addr + BigInt(home.offset));
        const bind = info >> 4;
        if (found !== undefined) {
          if (off === found) continue;
          if (foundBind !== STB_WEAK && bind !== STB_WEAK) throw format(binary, `ambiguous match for '${name}'`);
          if (bind === STB_WEAK) continue;
        }
        found = off;
        foundBind = bind;
      }
    }
    if (found !== undefined && found > 0n) break;
  }
  if (found === undefined || found === 0n) throw new BpfError('ENOENT', 'libbpf:uprobe-no-symbol', `elf: '${name}' is not a function of ${binary}`);
  return found;
}
