import type { BpfError } from '@bpfkit/kernel-api';
import { asmError } from './errors.js';
import type { Insn } from './insn.js';
import { opcodeInTable } from './opcode-table.js';
import {
  BPF_ABS, BPF_ADD, BPF_ADDR_SPACE_CAST, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG,
  BPF_DIV, BPF_DW, BPF_END, BPF_EXIT, BPF_FETCH, BPF_IMM, BPF_IND, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_K, BPF_LD,
  BPF_LD_IMM64, BPF_LDX, BPF_LOAD_ACQ, BPF_LSH, BPF_MAY_GOTO, BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_NEG, BPF_OR,
  BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE, BPF_RSH, BPF_ST, BPF_STORE_REL, BPF_STX, BPF_TO_LE, BPF_W, BPF_X, BPF_XCHG, BPF_XOR,
  MAX_BPF_REG, bpfClass, bpfMode, bpfOp, bpfSize, bpfSrc,
} from './opcodes.js';

/** One problem `validate` found, with the kernel's wording. */
export interface InsnDiagnostic {
  /** Index in the logical instruction array. */
  readonly index: number;
  /** Slot index, the number the verifier log prints. */
  readonly pc: number;
  /**
   * `resolve`: the kernel's linear pass before verification
   * (resolve_pseudo_ldimm64); `check`: the per-instruction field checks of do_check.
   */
  readonly stage: 'resolve' | 'check';
  /** The error, EINVAL with the kernel's message. */
  readonly error: BpfError;
}

/**
 * The linear pre-pass checks of one instruction (LDX reserved fields,
 * ld_imm64 second half and pseudo source, opcode table); `undefined` when fine.
 */
export function checkInsnResolve(insn: Insn): BpfError | undefined {
  if (bpfClass(insn.code) === BPF_LDX && ((bpfMode(insn.code) !== BPF_MEM && bpfMode(insn.code) !== BPF_MEMSX) || insn.imm !== 0)) {
    return asmError('asm:reserved-field', 'BPF_LDX uses reserved fields');
  }
  if (insn.code === BPF_LD_IMM64) {
    const next = insn.second;
    if (next === undefined || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
      return asmError('asm:invalid-ld-imm64', 'invalid bpf_ld_imm64 insn');
    }
    const src = insn.src;
    const idLike = src === BPF_PSEUDO_MAP_FD || src === BPF_PSEUDO_MAP_IDX;
    const known = src <= 4 || src === BPF_PSEUDO_MAP_IDX || src === BPF_PSEUDO_MAP_IDX_VALUE || src === BPF_PSEUDO_MAP_VALUE;
    if (!known || (idLike && next.imm !== 0)) return asmError('asm:invalid-ld-imm64', 'unrecognized bpf_ld_imm64 insn');
    return undefined;
  }
  if (!opcodeInTable(insn.code)) return asmError('asm:unknown-opcode', `unknown opcode ${insn.code.toString(16).padStart(2, '0')}`);
  return undefined;
}

function reserved(what: string): BpfError {
  return asmError('asm:reserved-field', `${what} uses reserved fields`);
}

function checkAlu(insn: Insn): BpfError | undefined {
  const op = bpfOp(insn.code);
  const cls = bpfClass(insn.code);
  const isX = bpfSrc(insn.code) === BPF_X;
  if (op === BPF_NEG) {
    if (isX || insn.src !== 0 || insn.off !== 0 || insn.imm !== 0) return reserved('BPF_NEG');
    return undefined;
  }
  if (op === BPF_END) {
    const width = insn.imm === 16 || insn.imm === 32 || insn.imm === 64;
    if (insn.src !== 0 || insn.off !== 0 || !width || (cls === BPF_ALU64 && bpfSrc(insn.code) !== BPF_TO_LE)) return reserved('BPF_END');
    return undefined;
  }
  if (op === BPF_MOV) {
    if (!isX) return insn.src !== 0 || insn.off !== 0 ? reserved('BPF_MOV') : undefined;
    if (cls === BPF_ALU) return (insn.off !== 0 && insn.off !== 8 && insn.off !== 16) || insn.imm !== 0 ? reserved('BPF_MOV') : undefined;
    if (insn.off === BPF_ADDR_SPACE_CAST) {
      if (insn.imm !== 1 && insn.imm !== 1 << 16) {
        return asmError('asm:addr-space-cast', 'addr_space_cast insn can only convert between address space 1 and 0');
      }
      return undefined;
    }
    const ok = insn.off === 0 || insn.off === 8 || insn.off === 16 || insn.off === 32;
    return !ok || insn.imm !== 0 ? reserved('BPF_MOV') : undefined;
  }
  if (op > BPF_END) return asmError('asm:unknown-opcode', `invalid BPF_ALU opcode ${op.toString(16)}`);
  const badOff = (insn.off !== 0 && insn.off !== 1) || (insn.off === 1 && op !== BPF_MOD && op !== BPF_DIV);
  if (isX ? insn.imm !== 0 || badOff : insn.src !== 0 || badOff) return reserved('BPF_ALU');
  if ((op === BPF_MOD || op === BPF_DIV) && !isX && insn.imm === 0) return asmError('asm:div-by-zero', 'div by zero');
  if ((op === BPF_LSH || op === BPF_RSH || op === BPF_ARSH) && !isX) {
    const size = cls === BPF_ALU64 ? 64 : 32;
    if (insn.imm < 0 || insn.imm >= size) return asmError('asm:invalid-shift', `invalid shift ${String(insn.imm)}`);
  }
  return undefined;
}

function checkAtomic(insn: Insn): BpfError | undefined {
  const imm = insn.imm;
  const rmw = [BPF_ADD, BPF_AND, BPF_OR, BPF_XOR].some((op) => imm === op || imm === (op | BPF_FETCH)) || imm === BPF_XCHG || imm === BPF_CMPXCHG;
  if (rmw) {
    const size = bpfSize(insn.code);
    return size !== BPF_W && size !== BPF_DW ? asmError('asm:atomic-size', 'invalid atomic operand size') : undefined;
  }
  if (imm === BPF_LOAD_ACQ || imm === BPF_STORE_REL) return undefined;
  return asmError('asm:atomic-op', `BPF_ATOMIC uses invalid atomic opcode ${(imm >>> 0).toString(16).padStart(2, '0')}`);
}

function checkJmp(insn: Insn): BpfError | undefined {
  const cls = bpfClass(insn.code);
  const op = bpfOp(insn.code);
  const isK = bpfSrc(insn.code) === BPF_K;
  if (op === BPF_CALL) {
    const src = insn.src;
    const bad =
      !isK || (src !== BPF_PSEUDO_KFUNC_CALL && insn.off !== 0) ||
      (src !== 0 && src !== BPF_PSEUDO_CALL && src !== BPF_PSEUDO_KFUNC_CALL) || insn.dst !== 0 || cls === BPF_JMP32;
    return bad ? reserved('BPF_CALL') : undefined;
  }
  if (op === BPF_JA) {
    const bad = !isK || insn.src !== 0 || insn.dst !== 0 || (cls === BPF_JMP && insn.imm !== 0) || (cls === BPF_JMP32 && insn.off !== 0);
    return bad ? reserved('BPF_JA') : undefined;
  }
  if (op === BPF_EXIT) {
    // The kernel leaves `off` of exit unchecked.
    const bad = !isK || insn.imm !== 0 || insn.src !== 0 || insn.dst !== 0 || cls === BPF_JMP32;
    return bad ? reserved('BPF_EXIT') : undefined;
  }
  if (op > BPF_JCOND) return asmError('asm:unknown-opcode', `invalid BPF_JMP/JMP32 opcode ${op.toString(16)}`);
  if (op === BPF_JCOND) {
    if (insn.code !== (BPF_JMP | BPF_JCOND) || insn.src !== BPF_MAY_GOTO || insn.dst !== 0 || insn.imm !== 0) {
      return asmError('asm:may-goto', `invalid may_goto imm ${String(insn.imm)}`);
    }
    return undefined;
  }
  if (isK ? insn.src !== 0 : insn.imm !== 0) return reserved('BPF_JMP/JMP32');
  return undefined;
}

function checkLd(insn: Insn): BpfError | undefined {
  const mode = bpfMode(insn.code);
  if (mode === BPF_ABS || mode === BPF_IND) {
    const bad = insn.dst !== 0 || insn.off !== 0 || bpfSize(insn.code) === BPF_DW || (mode === BPF_ABS && insn.src !== 0);
    return bad ? asmError('asm:reserved-field', 'BPF_LD_[ABS|IND] uses reserved fields') : undefined;
  }
  if (mode === BPF_IMM) {
    if (bpfSize(insn.code) !== BPF_DW) return asmError('asm:invalid-ld-imm', 'invalid BPF_LD_IMM insn');
    if (insn.off !== 0) return reserved('BPF_LD_IMM64');
    return undefined;
  }
  return asmError('asm:invalid-ld-mode', 'invalid BPF_LD mode');
}

function usesSrcReg(insn: Insn): boolean {
  const cls = bpfClass(insn.code);
  if (cls === BPF_LDX || cls === BPF_STX) return true;
  if (cls === BPF_LD) return bpfMode(insn.code) === BPF_IND;
  if (cls === BPF_ALU || cls === BPF_ALU64 || cls === BPF_JMP || cls === BPF_JMP32) {
    return bpfSrc(insn.code) === BPF_X && bpfOp(insn.code) !== BPF_CALL && bpfOp(insn.code) !== BPF_EXIT;
  }
  return false;
}

function checkRegs(insn: Insn): BpfError | undefined {
  const cls = bpfClass(insn.code);
  const jumpOnly = (cls === BPF_JMP || cls === BPF_JMP32) && [BPF_CALL, BPF_EXIT, BPF_JA, BPF_JCOND].includes(bpfOp(insn.code));
  const ldLegacy = cls === BPF_LD && bpfMode(insn.code) !== BPF_IMM;
  if (!jumpOnly && !ldLegacy && insn.dst >= MAX_BPF_REG) return asmError('asm:invalid-register', `R${String(insn.dst)} is invalid`);
  if (usesSrcReg(insn) && insn.src >= MAX_BPF_REG) return asmError('asm:invalid-register', `R${String(insn.src)} is invalid`);
  return undefined;
}

/**
 * The per-instruction field checks the verifier makes when it reaches an
 * instruction (do_check: reserved fields, atomic op, may_goto, constant
 * division by zero, shift range, register numbers); `undefined` when fine.
 */
export function checkInsnFields(insn: Insn): BpfError | undefined {
  let e: BpfError | undefined;
  switch (bpfClass(insn.code)) {
    case BPF_ALU:
    case BPF_ALU64:
      e = checkAlu(insn);
      break;
    case BPF_LDX:
      e = undefined;
      break;
    case BPF_STX:
      e = bpfMode(insn.code) === BPF_ATOMIC ? checkAtomic(insn) : bpfMode(insn.code) !== BPF_MEM || insn.imm !== 0 ? reserved('BPF_STX') : undefined;
      break;
    case BPF_ST:
      e = bpfMode(insn.code) !== BPF_MEM || insn.src !== 0 ? reserved('BPF_ST') : undefined;
      break;
    case BPF_JMP:
    case BPF_JMP32:
      e = checkJmp(insn);
      break;
    default:
      e = checkLd(insn);
  }
  return e ?? checkRegs(insn);
}

/**
 * Static checks of a whole program with the kernel's wording and errno
 * (EINVAL): first the linear pre-pass over every instruction, then the
 * per-instruction field checks. Control flow (jump ranges, reachability) is
 * the verifier's job.
 *
 * @example
 * validate([rawInsn(0x07, 0, 0, 1, 1), exit()])[0]?.error.message; // 'BPF_ALU uses reserved fields'
 */
export function validate(insns: readonly Insn[]): InsnDiagnostic[] {
  const out: InsnDiagnostic[] = [];
  const pcs: number[] = [];
  let pc = 0;
  for (const insn of insns) {
    pcs.push(pc);
    pc += insn.code === BPF_LD_IMM64 ? 2 : 1;
  }
  insns.forEach((insn, index) => {
    const error = checkInsnResolve(insn);
    if (error !== undefined) out.push({ index, pc: pcs[index] ?? 0, stage: 'resolve', error });
  });
  insns.forEach((insn, index) => {
    if (checkInsnResolve(insn) !== undefined) return;
    const error = checkInsnFields(insn);
    if (error !== undefined) out.push({ index, pc: pcs[index] ?? 0, stage: 'check', error });
  });
  return out;
}

/**
 * Throws the first problem {@link validate} finds.
 *
 * @example
 * assertValid([mov64Imm(R0, 0), exit()]); // fine
 */
export function assertValid(insns: readonly Insn[]): void {
  const first = validate(insns)[0];
  if (first !== undefined) throw first.error;
}
