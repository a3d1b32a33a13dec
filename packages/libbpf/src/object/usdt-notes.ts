import { BpfError } from '@bpfkit/kernel-api';

const SHT_NOTE = 7;
const PT_LOAD = 1;
const PF_X = 1;
const USDT_NOTE_TYPE = 3;

/** One `.note.stapsdt` probe site, its addresses moved to file offsets (libbpf's `usdt_target`). */
export interface UsdtTarget {
  readonly provider: string;
  readonly name: string;
  /** The argument spec (`-4@%edi 8@-8(%rbp)`), '' for none. */
  readonly args: string;
  /** The probe's virtual address (prelink-adjusted). */
  readonly absIp: bigint;
  /** Its file offset: where the uprobe goes. */
  readonly relIp: bigint;
  /** The semaphore's file offset, 0 for none. */
  readonly semaOff: bigint;
}

interface Segment {
  readonly start: bigint;
  readonly end: bigint;
  readonly offset: bigint;
  readonly exec: boolean;
}

function invalid(path: string, why: string): BpfError {
  return new BpfError('EINVAL', 'libbpf:usdt-elf', `usdt: ${path}: ${why}`);
}

function cstr(bytes: Uint8Array, at: number, end: number): { text: string; next: number } | undefined {
  const nul = bytes.subarray(at, end).indexOf(0);
  if (nul < 0) return undefined;
  return { text: new TextDecoder().decode(bytes.subarray(at, at + nul)), next: at + nul + 1 };
}

/** The ELF's little-endian 64-bit header fields the USDT reader needs (`sanity_check_usdt_elf`). */
function header(bytes: Uint8Array, path: string): { view: DataView; type: number } {
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) throw invalid(path, 'not an ELF file');
  if (bytes[4] !== 2 || bytes[5] !== 1) throw invalid(path, 'not a little-endian 64-bit ELF file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { view, type: view.getUint16(16, true) };
}

/** `parse_elf_segs`: the PT_LOAD program headers, by address (none is ESRCH). */
function loadSegments(bytes: Uint8Array, view: DataView, path: string): Segment[] {
  const phoff = Number(view.getBigUint64(32, true));
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  if (phnum > 0 && (phentsize !== 56 || phoff + phnum * 56 > bytes.length)) throw invalid(path, 'bad program header table');
  const segs: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * 56;
    if (view.getUint32(o, true) !== PT_LOAD) continue;
    const start = view.getBigUint64(o + 16, true);
    segs.push({ start, end: start + view.getBigUint64(o + 40, true), offset: view.getBigUint64(o + 8, true), exec: (view.getUint32(o + 4, true) & PF_X) !== 0 });
  }
  if (segs.length === 0) throw new BpfError('ESRCH', 'libbpf:usdt-no-segments', `usdt: failed to find PT_LOAD program headers in '${path}'`);
  return segs.sort((a, b) => (a.start < b.start ? -1 : 1));
}

/** Section headers by name (through `.shstrtab`): type, address, file offset and size. */
function sectionsByName(bytes: Uint8Array, view: DataView, path: string): Map<string, { type: number; addr: bigint; offset: number; size: number }> {
  const shoff = Number(view.getBigUint64(40, true));
  const shentsize = view.getUint16(58, true);
  const shnum = view.getUint16(60, true);
  const shstrndx = view.getUint16(62, true);
  if (shentsize !== 64 || shoff + shnum * 64 > bytes.length || shstrndx >= shnum) throw invalid(path, 'bad section header table');
  const strOff = Number(view.getBigUint64(shoff + shstrndx * 64 + 24, true));
  const strEnd = strOff + Number(view.getBigUint64(shoff + shstrndx * 64 + 32, true));
  const out = new Map<string, { type: number; addr: bigint; offset: number; size: number }>();
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * 64;
    const name = cstr(bytes, strOff + view.getUint32(o, true), Math.min(strEnd, bytes.length))?.text;
    if (name === undefined || out.has(name)) continue;
    out.set(name, { type: view.getUint32(o + 4, true), addr: view.getBigUint64(o + 16, true), offset: Number(view.getBigUint64(o + 24, true)), size: Number(view.getBigUint64(o + 32, true)) });
  }
  return out;
}

const align4 = (n: number): number => (n + 3) & ~3;

/** `parse_usdt_note`: one stapsdt note's addresses and strings (a malformed one is EINVAL). */
function parseNote(bytes: Uint8Array, view: DataView, desc: number, descsz: number, path: string): Omit<UsdtTarget, 'absIp' | 'relIp' | 'semaOff'> & { loc: bigint; base: bigint; sema: bigint } {
  const end = desc + descsz;
  if (descsz < 24 + 3) throw invalid(path, 'USDT note too short');
  const provider = cstr(bytes, desc + 24, end);
  const name = provider === undefined ? undefined : cstr(bytes, provider.next, end);
  if (provider === undefined || name === undefined || name.text === '' || name.next >= end) throw invalid(path, 'malformed USDT note strings');
  const args = cstr(bytes, name.next, end)?.text ?? new TextDecoder().decode(bytes.subarray(name.next, end));
  return {
    provider: provider.text, name: name.text, args: args === '' || args.startsWith(':') ? '' : args,
    loc: view.getBigUint64(desc, true), base: view.getBigUint64(desc + 8, true), sema: view.getBigUint64(desc + 16, true),
  };
}

function segmentOf(segs: readonly Segment[], addr: bigint): Segment | undefined {
  return segs.find((s) => addr >= s.start && addr < s.end);
}

/**
 * libbpf's `collect_usdt_targets` for an executable, or a shared library when BPF
 * cookies are there (every kernel bpfkit targets): the `.note.stapsdt` notes of
 * `provider:name` (no notes section is ENOENT, one that is not SHT_NOTE EINVAL), each
 * probe address moved by the `.stapsdt.base` prelink difference and turned into a file
 * offset through its PT_LOAD segment (none, or one that is not executable, is ESRCH),
 * the semaphore likewise through a non-executable segment. No match is an empty list.
 *
 * @example
 * collectUsdtTargets(readFileSync('/usr/bin/python3'), '/usr/bin/python3', 'python', 'function__entry');
 */
export function collectUsdtTargets(bytes: Uint8Array, path: string, provider: string, name: string): UsdtTarget[] {
  const { view } = header(bytes, path);
  const secs = sectionsByName(bytes, view, path);
  const notes = secs.get('.note.stapsdt');
  if (notes === undefined) throw new BpfError('ENOENT', 'libbpf:usdt-no-notes', `usdt: no USDT notes section (.note.stapsdt) found in '${path}'`);
  if (notes.type !== SHT_NOTE || notes.offset + notes.size > bytes.length) throw invalid(path, 'invalid USDT notes section (.note.stapsdt)');
  const segs = loadSegments(bytes, view, path);
  const baseAddr = secs.get('.stapsdt.base')?.addr ?? 0n;
  const out: UsdtTarget[] = [];
  for (let o = notes.offset; o + 12 <= notes.offset + notes.size;) {
    const namesz = view.getUint32(o, true);
    const descsz = view.getUint32(o + 4, true);
    const ntype = view.getUint32(o + 8, true);
    const nameAt = o + 12;
    const desc = nameAt + align4(namesz);
    if (desc + descsz > notes.offset + notes.size) throw invalid(path, 'truncated USDT note');
    o = desc + align4(descsz);
    if (new TextDecoder().decode(bytes.subarray(nameAt, nameAt + namesz)).replace(/\0+$/, '') !== 'stapsdt' || ntype !== USDT_NOTE_TYPE) {
      throw invalid(path, 'a note of .note.stapsdt is not a stapsdt note');
    }
    const note = parseNote(bytes, view, desc, descsz, path);
    if (note.provider !== provider || note.name !== name) continue;
    const absIp = baseAddr !== 0n && note.base !== 0n ? BigInt.asUintN(64, note.loc + baseAddr - note.base) : note.loc;
    const seg = segmentOf(segs, absIp);
    if (seg === undefined || !seg.exec) {
      throw new BpfError('ESRCH', 'libbpf:usdt-segment', `usdt: ${seg === undefined ? 'no' : 'no executable'} ELF program segment for '${provider}:${name}' in '${path}' at IP 0x${absIp.toString(16)}`);
    }
    let semaOff = 0n;
    if (note.sema !== 0n) {
      const s = segmentOf(segs, note.sema);
      if (s === undefined || s.exec) throw new BpfError('ESRCH', 'libbpf:usdt-semaphore', `usdt: no data segment for the semaphore of '${provider}:${name}' in '${path}'`);
      semaOff = note.sema - s.start + s.offset;
    }
    out.push({ provider: note.provider, name: note.name, args: note.args, absIp, relIp: absIp - seg.start + seg.offset, semaOff });
  }
  return out;
}
