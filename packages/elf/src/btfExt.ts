import type { Btf } from '@bpfkit/btf';
import { elfError } from './errors.js';

/** A `bpf_func_info` record: the BTF FUNC of the function starting at `insnOff`. @example { insnOff: 0, typeId: 12 } */
export interface FuncInfo {
  /** Instruction index inside the ELF section (clang writes bytes; divided by 8). */
  readonly insnOff: number;
  readonly typeId: number;
}

/** A `bpf_line_info` record with its strings resolved from `.BTF`. @example { insnOff: 0, fileName: 'x.c', line: '\t__u32 key = …', lineNum: 17, column: 29 } */
export interface LineInfo {
  readonly insnOff: number;
  readonly fileName: string;
  readonly line: string;
  readonly lineNum: number;
  readonly column: number;
}

/** A `bpf_core_relo` record; `kind` is `enum bpf_core_relo_kind`. Applying it is the loader's job. @example { insnOff: 6, typeId: 9, accessStr: '0:0', kind: 0 } */
export interface CoreRelo {
  readonly insnOff: number;
  readonly typeId: number;
  readonly accessStr: string;
  readonly kind: number;
}

/** `.BTF.ext` records grouped by the ELF section they describe. @example parseBtfExt(bytes, btf).get('xdp')?.lineInfo.length */
export interface BtfExtSection {
  readonly funcInfo: readonly FuncInfo[];
  readonly lineInfo: readonly LineInfo[];
  readonly coreRelos: readonly CoreRelo[];
}

const MAGIC = 0xeb9f;
const MIN_HDR = 24;

interface Block { readonly off: number; readonly len: number }

function str(btf: Btf, off: number, what: string): string {
  const s = btf.str(off);
  if (s === undefined) throw elfError('bad-btf-ext', `.BTF.ext ${what}: string offset ${String(off)} is outside .BTF's strings`);
  return s;
}

/**
 * Walks one info block: `rec_size`, then per section `{sec_name_off, num_info, records…}`.
 * Every count is checked against the bytes left before anything is read.
 */
function walk(
  view: DataView, block: Block, minRec: number, what: string, btf: Btf,
  each: (section: string, at: number) => void,
): void {
  if (block.len === 0) return;
  if (block.len < 4) throw elfError('bad-btf-ext', `.BTF.ext ${what}: ${String(block.len)} bytes cannot hold a record size`);
  const end = block.off + block.len;
  const recSize = view.getUint32(block.off, true);
  if (recSize < minRec || recSize % 4 !== 0 || recSize > 1024) {
    throw elfError('bad-btf-ext', `.BTF.ext ${what}: record size ${String(recSize)} is not supported`);
  }
  let p = block.off + 4;
  while (p < end) {
    if (end - p < 8) throw elfError('bad-btf-ext', `.BTF.ext ${what}: section header cut short`);
    const section = str(btf, view.getUint32(p, true), what);
    const n = view.getUint32(p + 4, true);
    p += 8;
    if (n === 0) throw elfError('bad-btf-ext', `.BTF.ext ${what}: section ${section} has no records`);
    if (n > (end - p) / recSize) throw elfError('bad-btf-ext', `.BTF.ext ${what}: ${String(n)} records of section ${section} do not fit`);
    for (let i = 0; i < n; i++, p += recSize) each(section, p);
  }
}

function insnIndex(byteOff: number, what: string): number {
  if (byteOff % 8 !== 0) throw elfError('bad-btf-ext', `.BTF.ext ${what}: instruction offset ${String(byteOff)} is not a multiple of 8`);
  return byteOff / 8;
}

/**
 * Parses `.BTF.ext` against the object's `.BTF` (for strings): func_info,
 * line_info and CO-RE relocation records by section name, instruction offsets
 * turned into instruction indexes.
 *
 * @example
 * const ext = parseBtfExt(sectionBytes, btf);
 * ext.get('xdp')?.funcInfo; // [{ insnOff: 0, typeId: 12 }]
 */
export function parseBtfExt(bytes: Uint8Array, btf: Btf): Map<string, BtfExtSection> {
  if (bytes.length < MIN_HDR) throw elfError('bad-btf-ext', `.BTF.ext of ${String(bytes.length)} bytes is shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0, true) !== MAGIC) throw elfError('bad-btf-ext', '.BTF.ext magic is not 0xeb9f');
  if (view.getUint8(2) !== 1) throw elfError('bad-btf-ext', `.BTF.ext version ${String(view.getUint8(2))} is not 1`);
  const hdrLen = view.getUint32(4, true);
  if (hdrLen < MIN_HDR || hdrLen > bytes.length) throw elfError('bad-btf-ext', `.BTF.ext header length ${String(hdrLen)} is out of range`);
  const block = (at: number, what: string): Block => {
    if (at + 8 > hdrLen) return { off: 0, len: 0 };
    const off = view.getUint32(at, true);
    const len = view.getUint32(at + 4, true);
    if (len === 0) return { off: 0, len: 0 };
    if (off > bytes.length - hdrLen || len > bytes.length - hdrLen - off) {
      throw elfError('bad-btf-ext', `.BTF.ext ${what} (${String(off)}+${String(len)}) is past the end of the section`);
    }
    return { off: hdrLen + off, len };
  };
  const out = new Map<string, { funcInfo: FuncInfo[]; lineInfo: LineInfo[]; coreRelos: CoreRelo[] }>();
  const entry = (s: string): { funcInfo: FuncInfo[]; lineInfo: LineInfo[]; coreRelos: CoreRelo[] } => {
    let e = out.get(s);
    if (e === undefined) {
      e = { funcInfo: [], lineInfo: [], coreRelos: [] };
      out.set(s, e);
    }
    return e;
  };
  walk(view, block(8, 'func_info'), 8, 'func_info', btf, (s, p) => {
    entry(s).funcInfo.push({ insnOff: insnIndex(view.getUint32(p, true), 'func_info'), typeId: view.getUint32(p + 4, true) });
  });
  walk(view, block(16, 'line_info'), 16, 'line_info', btf, (s, p) => {
    const col = view.getUint32(p + 12, true);
    entry(s).lineInfo.push({
      insnOff: insnIndex(view.getUint32(p, true), 'line_info'),
      fileName: str(btf, view.getUint32(p + 4, true), 'line_info'),
      line: str(btf, view.getUint32(p + 8, true), 'line_info'),
      lineNum: col >>> 10,
      column: col & 0x3ff,
    });
  });
  walk(view, block(24, 'core_relo'), 16, 'core_relo', btf, (s, p) => {
    entry(s).coreRelos.push({
      insnOff: insnIndex(view.getUint32(p, true), 'core_relo'),
      typeId: view.getUint32(p + 4, true),
      accessStr: str(btf, view.getUint32(p + 8, true), 'core_relo'),
      kind: view.getUint32(p + 12, true),
    });
  });
  // Sorted by instruction so that a function's records are found by binary search.
  for (const e of out.values()) {
    e.funcInfo.sort((a, b) => a.insnOff - b.insnOff);
    e.lineInfo.sort((a, b) => a.insnOff - b.insnOff);
    e.coreRelos.sort((a, b) => a.insnOff - b.insnOff);
  }
  return out;
}
