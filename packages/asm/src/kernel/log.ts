import { bpfFuncName } from '@bpfkit/uapi';
import { imm64, type Insn } from '../insn.js';
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_DIV, BPF_DW, BPF_END, BPF_EXIT,
  BPF_FETCH, BPF_IMM, BPF_IND, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_LOAD_ACQ, BPF_MAY_GOTO,
  BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_NEG, BPF_NOSPEC, BPF_OR, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, BPF_ST, BPF_STORE_REL, BPF_STX, BPF_TO_BE, BPF_X, BPF_XCHG, BPF_XOR,
  BPF_ADDR_SPACE_CAST, bpfClass, bpfMode, bpfOp, bpfSize, bpfSrc,
} from '../opcodes.js';
import { ALU_OPS, ALU_SIGNED_OPS, ATOMIC_OPS, CLASS_NAMES, JMP_OPS, LDSX_TYPES, LDST_TYPES, hex2, hex32, s, signed } from './tables.js';

/** Options of the verifier-log printer; they play the role of the kernel's `bpf_insn_cbs`. */
export interface LogFormatOptions {
  /**
   * Whether map pointers of ld_imm64 are shown (`allow_ptr_leaks`, privileged
   * loads); when false they print as `0x0`. Default true.
   */
  readonly allowPtrLeaks?: boolean;
  /**
   * Names a call the printer cannot name itself (`cb_call`: the verifier names
   * kfuncs from BTF). Return `undefined` to fall back to the kernel's default.
   */
  readonly callName?: (insn: Insn) => string | undefined;
  /** Renders the ld_imm64 operand (`cb_imm`; bpftool prints `map[id:N]`). */
  readonly immName?: (insn: Insn, value: bigint) => string | undefined;
}

const MOVSX_CASTS: readonly (string | undefined)[] = ['(s8)', '(s16)', undefined, '(s32)'];

function funcName(insn: Insn, opts: LogFormatOptions): string {
  if (insn.src === 0 && insn.imm >= 0) {
    const name = insn.imm === 0 ? 'unspec' : bpfFuncName(insn.imm);
    if (name !== undefined) return `bpf_${name}`;
  }
  const named = opts.callName?.(insn);
  if (named !== undefined) return named;
  if (insn.src === BPF_PSEUDO_CALL) return signed(insn.imm);
  if (insn.src === BPF_PSEUDO_KFUNC_CALL) return 'kernel-function';
  return 'unknown';
}

function formatAlu(insn: Insn): string {
  const cls = bpfClass(insn.code);
  const op = bpfOp(insn.code);
  const r = cls === BPF_ALU ? 'w' : 'r';
  const d = insn.dst;
  if (op === BPF_END) {
    if (cls === BPF_ALU64) return `r${String(d)} = bswap${String(insn.imm)} r${String(d)}`;
    return `r${String(d)} = ${bpfSrc(insn.code) === BPF_TO_BE ? 'be' : 'le'}${String(insn.imm)} r${String(d)}`;
  }
  if (op === BPF_NEG) return `${r}${String(d)} = -${r}${String(d)}`;
  if (insn.code === (BPF_ALU64 | BPF_MOV | BPF_X) && insn.off === BPF_ADDR_SPACE_CAST) {
    return `r${String(d)} = addr_space_cast(r${String(insn.src)}, ${String(insn.imm >>> 16)}, ${String(insn.imm & 0xffff)})`;
  }
  const sdivmod = (op === BPF_DIV || op === BPF_MOD) && insn.off === 1;
  const name = s(sdivmod ? ALU_SIGNED_OPS[op >> 4] : ALU_OPS[op >> 4]);
  if (bpfSrc(insn.code) === BPF_X) {
    const movsx = op === BPF_MOV && (insn.off === 8 || insn.off === 16 || insn.off === 32);
    const cast = movsx ? s(MOVSX_CASTS[(insn.off >> 3) - 1]) : '';
    return `${r}${String(d)} ${name} ${cast}${r}${String(insn.src)}`;
  }
  return `${r}${String(d)} ${name} ${String(insn.imm)}`;
}

function mem(insn: Insn, reg: number): string {
  return `(r${String(reg)} ${signed(insn.off)})`;
}

function formatStx(insn: Insn): string {
  const t = s(LDST_TYPES[bpfSize(insn.code) >> 3]);
  const mode = bpfMode(insn.code);
  if (mode === BPF_MEM) return `*(${t} *)${mem(insn, insn.dst)} = r${String(insn.src)}`;
  if (mode !== BPF_ATOMIC) return `BUG_${hex2(insn.code)}`;
  const imm = insn.imm;
  const w = bpfSize(insn.code) === BPF_DW ? '64' : '';
  if (imm === BPF_ADD || imm === BPF_AND || imm === BPF_OR || imm === BPF_XOR) {
    return `lock *(${t} *)${mem(insn, insn.dst)} ${s(ALU_OPS[bpfOp(imm) >> 4])} r${String(insn.src)}`;
  }
  if (imm === (BPF_ADD | BPF_FETCH) || imm === (BPF_AND | BPF_FETCH) || imm === (BPF_OR | BPF_FETCH) || imm === (BPF_XOR | BPF_FETCH)) {
    const op = s(ATOMIC_OPS[bpfOp(imm) >> 4]);
    return `r${String(insn.src)} = atomic${w}_fetch_${op}((${t} *)${mem(insn, insn.dst)}, r${String(insn.src)})`;
  }
  if (imm === BPF_CMPXCHG) return `r0 = atomic${w}_cmpxchg((${t} *)${mem(insn, insn.dst)}, r0, r${String(insn.src)})`;
  if (imm === BPF_XCHG) return `r${String(insn.src)} = atomic${w}_xchg((${t} *)${mem(insn, insn.dst)}, r${String(insn.src)})`;
  if (imm === BPF_LOAD_ACQ) return `r${String(insn.dst)} = load_acquire((${t} *)${mem(insn, insn.src)})`;
  if (imm === BPF_STORE_REL) return `store_release((${t} *)${mem(insn, insn.dst)}, r${String(insn.src)})`;
  return `BUG_${hex2(insn.code)}`;
}

function formatLd(insn: Insn, opts: LogFormatOptions): string {
  const t = s(LDST_TYPES[bpfSize(insn.code) >> 3]);
  const mode = bpfMode(insn.code);
  if (mode === BPF_ABS) return `r0 = *(${t} *)skb[${String(insn.imm)}]`;
  if (mode === BPF_IND) return `r0 = *(${t} *)skb[r${String(insn.src)} + ${String(insn.imm)}]`;
  if (mode === BPF_IMM && bpfSize(insn.code) === BPF_DW) {
    const isPtr = insn.src === BPF_PSEUDO_MAP_FD || insn.src === BPF_PSEUDO_MAP_VALUE;
    const value = isPtr && opts.allowPtrLeaks === false ? 0n : imm64(insn);
    const named = opts.immName?.(insn, value);
    return `r${String(insn.dst)} = ${named ?? `0x${value.toString(16)}`}`;
  }
  return `BUG_ld_${hex2(insn.code)}`;
}

function formatJmp(insn: Insn, opts: LogFormatOptions): string {
  const cls = bpfClass(insn.code);
  const op = bpfOp(insn.code);
  if (op === BPF_CALL) {
    if (insn.src === BPF_PSEUDO_CALL) return `call pc${funcName(insn, opts)}`;
    return `call ${funcName(insn, opts)}#${String(insn.imm)}`;
  }
  if (insn.code === (BPF_JMP | BPF_JA)) return `goto pc${signed(insn.off)}`;
  if (insn.code === (BPF_JMP | BPF_JCOND) && insn.src === BPF_MAY_GOTO) return `may_goto pc${signed(insn.off)}`;
  if (insn.code === (BPF_JMP32 | BPF_JA)) return `gotol pc${signed(insn.imm)}`;
  if (insn.code === (BPF_JMP | BPF_EXIT)) return 'exit';
  const r = cls === BPF_JMP32 ? 'w' : 'r';
  const name = s(JMP_OPS[op >> 4]);
  if (bpfSrc(insn.code) === BPF_X) {
    return `if ${r}${String(insn.dst)} ${name} ${r}${String(insn.src)} goto pc${signed(insn.off)}`;
  }
  return `if ${r}${String(insn.dst)} ${name} ${hex32(insn.imm)} goto pc${signed(insn.off)}`;
}

/**
 * The instruction exactly as the kernel's verifier log prints it
 * (`print_bpf_insn`), without the leading `N: `: `(b7) r0 = 0`. This text is
 * lossy (ld_imm64 pseudo sources, kfunc ids, reserved fields); use
 * `formatInsn` for text that assembles back to the same bytes.
 *
 * @example
 * formatLogInsn(mov64Imm(R0, 0)); // '(b7) r0 = 0'
 */
export function formatLogInsn(insn: Insn, opts: LogFormatOptions = {}): string {
  const text = formatLogText(insn, opts);
  // The printer's BUG_* lines carry no `(code)` prefix.
  return text.startsWith('BUG_') ? text : `(${hex2(insn.code)}) ${text}`;
}

/**
 * One verifier-log instruction line: `0: (b7) r0 = 0`.
 *
 * @example
 * formatLogLine(exit(), 7); // '7: (95) exit'
 */
export function formatLogLine(insn: Insn, pc: number, opts: LogFormatOptions = {}): string {
  return `${String(pc)}: ${formatLogInsn(insn, opts)}`;
}

/** The log text of an instruction without the `(code)` prefix. */
export function formatLogText(insn: Insn, opts: LogFormatOptions = {}): string {
  switch (bpfClass(insn.code)) {
    case BPF_ALU:
    case BPF_ALU64:
      return formatAlu(insn);
    case BPF_STX:
      return formatStx(insn);
    case BPF_ST: {
      const mode = bpfMode(insn.code);
      if (mode === BPF_MEM) {
        return `*(${s(LDST_TYPES[bpfSize(insn.code) >> 3])} *)${mem(insn, insn.dst)} = ${String(insn.imm)}`;
      }
      if (mode === BPF_NOSPEC) return 'nospec';
      return `BUG_st_${hex2(insn.code)}`;
    }
    case BPF_LDX: {
      const mode = bpfMode(insn.code);
      if (mode !== BPF_MEM && mode !== BPF_MEMSX) return `BUG_ldx_${hex2(insn.code)}`;
      const t = mode === BPF_MEM ? LDST_TYPES[bpfSize(insn.code) >> 3] : LDSX_TYPES[bpfSize(insn.code) >> 3];
      return `r${String(insn.dst)} = *(${s(t)} *)${mem(insn, insn.src)}`;
    }
    case BPF_LD:
      return formatLd(insn, opts);
    case BPF_JMP:
    case BPF_JMP32:
      return formatJmp(insn, opts);
    default:
      return s(CLASS_NAMES[bpfClass(insn.code)]);
  }
}
