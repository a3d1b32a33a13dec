import { BpfError, type BtfView, type VerifierFuncInfo } from '@bpfkit/kernel-api';
import type { ProgLoadAttrDecoded } from '@bpfkit/uapi';
import { putAttrU32 } from '../bpf/check.js';
import type { KernelBtf } from '../btf/object.js';
import type { TaskImpl } from '../task/task.js';
import { btfGetByFd } from './map-check-btf.js';

/** `MIN_BPF_FUNCINFO_SIZE`, `sizeof(struct bpf_func_info)`. */
const FUNC_INFO_SIZE = 8;
/** `MIN_BPF_LINEINFO_SIZE`, `sizeof(struct bpf_line_info)`. */
const LINE_INFO_SIZE = 16;
/** `MAX_FUNCINFO_REC_SIZE` and `MAX_LINEINFO_REC_SIZE`. */
const MAX_REC_SIZE = 252;
const INT_MAX = 0x7fffffff;

/** A failure the verifier writes to its log before its main pass. */
export function verifierFail(errno: 'EINVAL' | 'E2BIG' | 'ENOENT' | 'ENOTSUPP', reason: string, line: string): never {
  throw new BpfError(errno, `verifier:${reason}`, line.trimEnd(), { log: line });
}

/** One `struct bpf_func_info`. */
export interface FuncInfo {
  readonly insnOff: number;
  readonly typeId: number;
}

/** What `check_btf_info_early` keeps: the program's BTF and its func_info records. */
export interface ProgBtf {
  readonly btf: KernelBtf;
  readonly funcInfo: readonly FuncInfo[];
}

function u32(bytes: Uint8Array, off: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(off, true);
}

/**
 * `bpf_check_uarg_tail_zero` for one record: bytes past what the kernel knows must be 0,
 * else E2BIG, and the kernel writes the record size it expects back into the attr.
 */
function tailZero(rec: Uint8Array, known: number, what: string, onE2big: () => void): void {
  if (rec.subarray(known).some((b) => b !== 0)) {
    onE2big();
    verifierFail('E2BIG', `${what.replace(' ', '-')}-tail`, `nonzero tailing record in ${what}`);
  }
}

/**
 * `check_btf_info_early` and `check_btf_func_early`: the program's BTF from `prog_btf_fd`
 * (only looked at when func_info or line_info is given) and the func_info records.
 */
export function checkBtfInfoEarly(task: TaskImpl, attr: ProgLoadAttrDecoded, uattr: Uint8Array): ProgBtf | undefined {
  const funcCnt = attr.func_info_cnt;
  if (funcCnt === 0 && attr.line_info_cnt === 0) return undefined;
  const { btf } = btfGetByFd(task, attr.prog_btf_fd, 'prog_btf_fd');
  if (btf.isKernel) throw new BpfError('EACCES', 'prog:btf-is-kernel', `prog_btf_fd ${attr.prog_btf_fd} is the kernel's own BTF`);
  if (funcCnt === 0) return { btf, funcInfo: [] };
  const recSize = attr.func_info_rec_size;
  if (recSize < FUNC_INFO_SIZE || recSize > MAX_REC_SIZE || recSize % 4 !== 0) {
    verifierFail('EINVAL', 'func-info-rec-size', `invalid func info rec size ${recSize}\n`);
  }
  const view = btf.view;
  const out: FuncInfo[] = [];
  let prev = 0;
  for (let i = 0; i < funcCnt; i++) {
    const rec = task.memory.read(attr.func_info + BigInt(i * recSize), recSize);
    tailZero(rec, FUNC_INFO_SIZE, 'func info', () => { putAttrU32(uattr, 'prog_load', 'func_info_rec_size', FUNC_INFO_SIZE); });
    const insnOff = u32(rec, 0);
    const typeId = u32(rec, 4);
    if (i === 0 && insnOff !== 0) verifierFail('EINVAL', 'func-info-insn-off', `nonzero insn_off ${insnOff} for the first func info record`);
    if (i > 0 && insnOff <= prev) {
      verifierFail('EINVAL', 'func-info-insn-off', `same or smaller insn offset (${insnOff}) than previous func info record (${prev})`);
    }
    const t = view.type(typeId);
    if (t?.kind !== 'FUNC') verifierFail('EINVAL', 'func-info-type', `invalid type id ${typeId} in func info`);
    if (view.type(t?.type ?? 0)?.kind !== 'FUNC_PROTO') throw new BpfError('EINVAL', 'verifier:func-info-type', `type ${typeId} has no FUNC_PROTO`);
    out.push({ insnOff, typeId });
    prev = insnOff;
  }
  return { btf, funcInfo: out };
}

/**
 * Subprogram starts as `add_subprog_and_kfunc` finds them: 0 and the targets of
 * bpf-to-bpf calls and `ld_imm64` function pointers. Undefined when a target is out of
 * the program, which the verifier reports itself.
 */
export function subprogStarts(insns: Uint8Array): number[] | undefined {
  const n = insns.length / 8;
  const starts = new Set([0]);
  const dv = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  for (let i = 0; i < n; i++) {
    const code = insns[i * 8] ?? 0;
    const src = (insns[i * 8 + 1] ?? 0) >> 4;
    const isCall = code === 0x85 && src === 1;
    const isFunc = code === 0x18 && src === 4;
    if (!isCall && !isFunc) continue;
    const target = i + dv.getInt32(i * 8 + 4, true) + 1;
    if (target < 0 || target >= n) return undefined;
    starts.add(target);
  }
  return [...starts].sort((a, b) => a - b);
}

/** `check_btf_func`: one func_info per subprogram, at its first instruction. */
function checkBtfFunc(info: ProgBtf, subprogs: readonly number[]): void {
  if (info.funcInfo.length === 0) return;
  if (info.funcInfo.length !== subprogs.length) {
    verifierFail('EINVAL', 'func-info-count', "number of funcs in func_info doesn't match number of subprogs\n");
  }
  info.funcInfo.forEach((f, i) => {
    if (subprogs[i] !== f.insnOff) verifierFail('EINVAL', 'func-info-layout', "func_info BTF section doesn't match subprog layout in BPF program\n");
  });
}

/** `check_btf_line`: increasing offsets inside the program, on real instructions, with valid strings; each subprogram starts with one. */
function checkBtfLine(task: TaskImpl, attr: ProgLoadAttrDecoded, uattr: Uint8Array, view: BtfView, insns: Uint8Array, subprogs: readonly number[]): void {
  const cnt = attr.line_info_cnt;
  if (cnt === 0) return;
  if (cnt > Math.floor(INT_MAX / LINE_INFO_SIZE)) throw new BpfError('EINVAL', 'verifier:line-info-count', 'line_info_cnt too large');
  const recSize = attr.line_info_rec_size;
  if (recSize < LINE_INFO_SIZE || recSize > MAX_REC_SIZE || recSize % 4 !== 0) {
    throw new BpfError('EINVAL', 'verifier:line-info-rec-size', `invalid line info rec size ${recSize}`);
  }
  const len = insns.length / 8;
  let prev = 0;
  let s = 0;
  for (let i = 0; i < cnt; i++) {
    const rec = task.memory.read(attr.line_info + BigInt(i * recSize), recSize);
    tailZero(rec, LINE_INFO_SIZE, 'line_info', () => { putAttrU32(uattr, 'prog_load', 'line_info_rec_size', LINE_INFO_SIZE); });
    const insnOff = u32(rec, 0);
    if ((i > 0 && insnOff <= prev) || insnOff >= len) {
      verifierFail('EINVAL', 'line-info-insn-off', `Invalid line_info[${i}].insn_off:${insnOff} (prev_offset:${prev} prog->len:${len})\n`);
    }
    if ((insns[insnOff * 8] ?? 0) === 0) verifierFail('EINVAL', 'line-info-insn-code', `Invalid insn code at line_info[${i}].insn_off\n`);
    if (view.str(u32(rec, 8)) === undefined || view.str(u32(rec, 4)) === undefined) {
      verifierFail('EINVAL', 'line-info-strings', `Invalid line_info[${i}].line_off or .file_name_off\n`);
    }
    const start = subprogs[s];
    if (start !== undefined) {
      if (insnOff === start) s++;
      else if (start < insnOff) verifierFail('EINVAL', 'line-info-missing', `missing bpf_line_info for func#${s}\n`);
    }
    prev = insnOff;
  }
  if (s !== subprogs.length) {
    verifierFail('EINVAL', 'line-info-missing', `missing bpf_line_info for ${subprogs.length - s} funcs starting from func#${s}\n`);
  }
}

/** `check_btf_info`: func_info against the subprogram layout, then line_info. */
export function checkBtfInfo(task: TaskImpl, attr: ProgLoadAttrDecoded, uattr: Uint8Array, info: ProgBtf | undefined, insns: Uint8Array): void {
  if (info === undefined) return;
  const subprogs = subprogStarts(insns);
  // A call out of the program fails in add_subprog_and_kfunc, before this check: leave it to the verifier.
  if (subprogs === undefined) return;
  checkBtfFunc(info, subprogs);
  checkBtfLine(task, attr, uattr, info.btf.view, insns, subprogs);
}

/** The func_info records as the verifier takes them: each subprogram's start and its FUNC's linkage. */
export function verifierFuncInfo(info: ProgBtf): VerifierFuncInfo[] {
  return info.funcInfo.map(({ insnOff, typeId }) => {
    const t = info.btf.view.type(typeId);
    return { insnOff, linkage: t?.kind === 'FUNC' ? t.linkage ?? 0 : 0, typeId };
  });
}
