import type { Insn } from '@bpfkit/asm';
import type { BtfView, VerifierProgBtf, VerifierUserRecords } from '@bpfkit/kernel-api';
import { skipModifiers } from './btf-walk.js';
import type { FuncInfo } from './checked-request.js';
import { CALL, cls, JMP, LD, mode } from './insns.js';
import { fail, failUnterminated, refuse, type VerifierLog } from './log.js';
import { LineInfoLog, type LineInfo } from './line-info.js';

/** `sizeof(struct bpf_func_info)`, the smallest func_info record. */
const FUNC_INFO_SIZE = 8;
/** `sizeof(struct bpf_line_info)`, the smallest line_info record. */
const LINE_INFO_SIZE = 16;
/** `MAX_FUNCINFO_REC_SIZE`, `MAX_LINEINFO_REC_SIZE`. */
const MAX_REC_SIZE = 252;
const INT_MAX = 0x7fffffff;
const BPF_ABS = 0x20, BPF_IND = 0x40, TAIL_CALL = 12;

/** What `check_btf_info_early` keeps: `prog->aux->btf` and the func_info records. */
export interface ProgBtfInfo {
  readonly btf: BtfView;
  readonly funcInfo: readonly FuncInfo[];
}

const u32 = (rec: Uint8Array, off: number): number => new DataView(rec.buffer, rec.byteOffset, rec.byteLength).getUint32(off, true);

/**
 * One record copied from the caller (`bpf_check_uarg_tail_zero`, then `copy_from_bpfptr`):
 * bytes past what the kernel knows must be 0, else E2BIG and the known size is written back.
 */
function copyRecord(log: VerifierLog, recs: VerifierUserRecords, i: number, known: number, what: string): Uint8Array {
  const rec = recs.read(i * recs.recSize, recs.recSize);
  if (rec === undefined) return refuse('EFAULT', `${what.replace(' ', '-')}-fault`, `${what} record ${String(i)} is not readable`);
  if (rec.subarray(known).some((b) => b !== 0)) {
    log.write(`nonzero tailing record in ${what}`);
    if (!recs.putRecSize(known)) refuse('EFAULT', `${what.replace(' ', '-')}-fault`, `cannot write ${what} rec size back`);
    refuse('E2BIG', `${what.replace(' ', '-')}-tail`, `nonzero tailing record in ${what}`);
  }
  return rec;
}

/** `check_btf_func_early`: the func_info records' size, order and FUNC types. */
function checkBtfFuncEarly(log: VerifierLog, btf: BtfView, recs: VerifierUserRecords): FuncInfo[] {
  if (recs.count === 0) return [];
  const recSize = recs.recSize;
  if (recSize < FUNC_INFO_SIZE || recSize > MAX_REC_SIZE || recSize % 4 !== 0) {
    fail(log, 'EINVAL', 'func-info-rec-size', `invalid func info rec size ${String(recSize)}`);
  }
  const out: FuncInfo[] = [];
  let prev = 0;
  for (let i = 0; i < recs.count; i++) {
    const rec = copyRecord(log, recs, i, FUNC_INFO_SIZE, 'func info');
    const insnOff = u32(rec, 0);
    const typeId = u32(rec, 4);
    if (i === 0 && insnOff !== 0) {
      failUnterminated(log, 'EINVAL', 'func-info-insn-off', `nonzero insn_off ${String(insnOff)} for the first func info record`);
    }
    if (i > 0 && insnOff <= prev) {
      failUnterminated(log, 'EINVAL', 'func-info-insn-off', `same or smaller insn offset (${String(insnOff)}) than previous func info record (${String(prev)})`);
    }
    const fn = btf.type(typeId);
    if (fn?.kind !== 'FUNC') failUnterminated(log, 'EINVAL', 'func-info-type', `invalid type id ${String(typeId | 0)} in func info`);
    // BTF_LOAD checked every FUNC's prototype already; a FUNC without one is refused silently.
    if (btf.type(fn.type ?? 0)?.kind !== 'FUNC_PROTO') refuse('EINVAL', 'func-info-type', `type ${String(typeId)} has no FUNC_PROTO`);
    out.push({ insnOff, typeId, linkage: fn.linkage ?? 0 });
    prev = insnOff;
  }
  return out;
}

/**
 * `check_btf_info_early`: with func_info or line_info, `prog_btf_fd` must be program BTF
 * (its lookup's errno, EACCES for the kernel's own), then the func_info records.
 *
 * @example
 * const info = checkBtfInfoEarly(log, req.progBtf); // "invalid func info rec size 4"
 */
export function checkBtfInfoEarly(log: VerifierLog, progBtf: VerifierProgBtf | undefined): ProgBtfInfo | undefined {
  if (progBtf === undefined || (progBtf.funcInfo.count === 0 && progBtf.lineInfo.count === 0)) return undefined;
  const fd = progBtf.btfFd;
  if ('errno' in fd) return refuse(fd.errno, 'prog-btf-fd', `prog_btf_fd is ${fd.errno === 'EBADF' ? 'not an open fd' : 'not a BTF object'}`);
  if (fd.isKernel) refuse('EACCES', 'prog-btf-is-kernel', "prog_btf_fd is the kernel's own BTF");
  return { btf: fd.btf, funcInfo: checkBtfFuncEarly(log, fd.btf, progBtf.funcInfo) };
}

/** What a subprogram `[start, end)` holds that can end the program from inside it (`has_ld_abs`, `has_tail_call`). */
function exitsEarly(insns: readonly Insn[], start: number, end: number): { ldAbs: boolean; tailCall: boolean } {
  let ldAbs = false, tailCall = false;
  for (let i = start; i < end; i++) {
    const insn = insns[i];
    if (insn === undefined) continue;
    if (cls(insn.code) === LD && (mode(insn.code) === BPF_ABS || mode(insn.code) === BPF_IND)) ldAbs = true;
    if (insn.code === (JMP | CALL) && insn.src === 0 && insn.imm === TAIL_CALL) tailCall = true;
  }
  return { ldAbs, tailCall };
}

/** `check_abnormal_return`: without func_info, no subprogram but the main one may use LD_ABS or tail calls. */
function checkAbnormalReturn(log: VerifierLog, insns: readonly Insn[], subprogs: readonly number[]): void {
  for (let i = 1; i + 1 < subprogs.length; i++) {
    const uses = exitsEarly(insns, subprogs[i] ?? 0, subprogs[i + 1] ?? insns.length);
    if (uses.ldAbs) fail(log, 'EINVAL', 'ld-abs-without-btf', 'LD_ABS is not allowed in subprogs without BTF');
    if (uses.tailCall) fail(log, 'EINVAL', 'tail-call-without-btf', 'tail_call is not allowed in subprogs without BTF');
  }
}

/**
 * `check_btf_func`: one record per subprogram, at its start; a subprogram with LD_ABS/LD_IND
 * or a tail call must return an integer or enum, since either may end the program from inside
 * it with R0 = 0.
 */
function checkBtfFunc(log: VerifierLog, insns: readonly Insn[], subprogs: readonly number[], info: ProgBtfInfo): void {
  const funcInfo = info.funcInfo;
  const count = subprogs.length - 1;
  if (funcInfo.length !== count) fail(log, 'EINVAL', 'func-info-count', "number of funcs in func_info doesn't match number of subprogs");
  funcInfo.forEach((fi, i) => {
    if (subprogs[i] !== fi.insnOff) fail(log, 'EINVAL', 'func-info-layout', "func_info BTF section doesn't match subprog layout in BPF program");
    if (i === 0) return;
    const ret = skipModifiers(info.btf, info.btf.type(info.btf.type(fi.typeId)?.type ?? 0)?.type ?? 0);
    const scalar = (ret?.kind === 'INT' && (ret.size ?? 0) <= 8) || ret?.kind === 'ENUM' || ret?.kind === 'ENUM64';
    if (scalar) return;
    const uses = exitsEarly(insns, fi.insnOff, subprogs[i + 1] ?? insns.length);
    if (uses.ldAbs) fail(log, 'EINVAL', 'ld-abs-return', "LD_ABS is only allowed in functions that return 'int'.");
    if (uses.tailCall) fail(log, 'EINVAL', 'tail-call-return', "tail_call is only allowed in functions that return 'int'.");
  });
}

/** `check_btf_line`: increasing offsets inside the program, on real instructions, with valid strings; each subprogram starts with one. */
function checkBtfLine(log: VerifierLog, insns: readonly Insn[], subprogs: readonly number[], btf: BtfView, recs: VerifierUserRecords): LineInfo[] {
  const cnt = recs.count;
  const out: LineInfo[] = [];
  if (cnt === 0) return out;
  if (cnt > Math.floor(INT_MAX / LINE_INFO_SIZE)) refuse('EINVAL', 'line-info-count', `line_info_cnt ${String(cnt)} is too large`);
  const recSize = recs.recSize;
  if (recSize < LINE_INFO_SIZE || recSize > MAX_REC_SIZE || recSize % 4 !== 0) {
    refuse('EINVAL', 'line-info-rec-size', `invalid line info rec size ${String(recSize)}`);
  }
  const len = insns.length;
  const count = subprogs.length - 1;
  let prev = 0;
  let s = 0;
  for (let i = 0; i < cnt; i++) {
    const rec = copyRecord(log, recs, i, LINE_INFO_SIZE, 'line_info');
    const insnOff = u32(rec, 0);
    if ((i > 0 && insnOff <= prev) || insnOff >= len) {
      fail(log, 'EINVAL', 'line-info-insn-off', `Invalid line_info[${String(i)}].insn_off:${String(insnOff)} (prev_offset:${String(prev)} prog->len:${String(len)})`);
    }
    if ((insns[insnOff]?.code ?? 0) === 0) fail(log, 'EINVAL', 'line-info-insn-code', `Invalid insn code at line_info[${String(i)}].insn_off`);
    if (btf.str(u32(rec, 8)) === undefined || btf.str(u32(rec, 4)) === undefined) {
      fail(log, 'EINVAL', 'line-info-strings', `Invalid line_info[${String(i)}].line_off or .file_name_off`);
    }
    if (s !== count) {
      const start = subprogs[s] ?? 0;
      if (insnOff === start) s++;
      else if (start < insnOff) fail(log, 'EINVAL', 'line-info-missing', `missing bpf_line_info for func#${String(s)}`);
    }
    out.push({ insnOff, fileNameOff: u32(rec, 4), lineOff: u32(rec, 8), lineCol: u32(rec, 12) });
    prev = insnOff;
  }
  if (s !== count) fail(log, 'EINVAL', 'line-info-missing', `missing bpf_line_info for ${String(count - s)} funcs starting from func#${String(s)}`);
  return out;
}

/**
 * `check_btf_info`, after the subprograms are known (`subprogs` ends with the program's
 * length): func_info against their layout, then line_info; without func_info, no
 * subprogram may leave the program early. Returns the line_info records for the log
 * (undefined without any).
 *
 * @example
 * checkBtfInfo(log, insns, [0, 3, 5], req.progBtf, info); // "missing bpf_line_info for func#1"
 */
export function checkBtfInfo(
  log: VerifierLog, insns: readonly Insn[], subprogs: readonly number[], progBtf: VerifierProgBtf | undefined, info: ProgBtfInfo | undefined,
): LineInfoLog | undefined {
  if (progBtf === undefined || info === undefined) {
    checkAbnormalReturn(log, insns, subprogs);
    return undefined;
  }
  if (progBtf.funcInfo.count === 0) checkAbnormalReturn(log, insns, subprogs);
  else checkBtfFunc(log, insns, subprogs, info);
  const lines = checkBtfLine(log, insns, subprogs, info.btf, progBtf.lineInfo);
  return lines.length === 0 ? undefined : new LineInfoLog(info.btf, lines, insns.length);
}
