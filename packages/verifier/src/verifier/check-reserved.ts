import type { Insn } from '@bpfkit/asm';
import { ALU, ALU64, CALL, cls, EXIT, JA, JMP, JMP32, LD, LD_IMM64, mode, op, PSEUDO_CALL, size, srcX, ST, STX } from './insns.js';
import { fail, type VerifierLog } from './log.js';
import { DIV, END, MOD, MOV, NEG } from './alu.js';

/** Opcodes that exist in the load and store classes (others have reserved bits set). */
const LD_CODES: ReadonlySet<number> = new Set([0x20, 0x28, 0x30, 0x40, 0x48, 0x50]);
const LDX_CODES: ReadonlySet<number> = new Set([0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91]);
const ST_CODES: ReadonlySet<number> = new Set([0x62, 0x6a, 0x72, 0x7a]);
const STX_CODES: ReadonlySet<number> = new Set([0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0xcb, 0xd3]);

/** `bpf_opcode_in_insntable`: the opcodes the interpreter knows. */
export function opcodeKnown(code: number): boolean {
  const c = cls(code), o = op(code);
  switch (c) {
    case ALU:
    case ALU64:
      if (o === NEG) return (code & 0x08) === 0;
      if (o === END) return c === ALU || (code & 0x08) === 0;
      return o <= 0xc0;
    case JMP:
      if (o === CALL) return (code & 0x08) === 0;
      if (o === EXIT || o === JA || o === 0xe0) return (code & 0x08) === 0;
      return o <= 0xd0 && o !== 0x80 && o !== 0x90;
    case JMP32:
      if (o === JA) return (code & 0x08) === 0;
      return o <= 0xd0 && o !== 0x80 && o !== 0x90;
    case LD:
      return code === LD_IMM64 || LD_CODES.has(code);
    case 1: // LDX
      return LDX_CODES.has(code);
    case ST:
      return ST_CODES.has(code);
    case STX:
      return STX_CODES.has(code);
    default:
      return false;
  }
}

/** The "uses reserved fields" checks of `do_check` for one instruction. */
export function checkReservedFields(log: VerifierLog, insn: Insn): void {
  const c = cls(insn.code), o = op(insn.code), x = srcX(insn.code);
  switch (c) {
    case ALU:
    case ALU64:
      if (o === NEG) { if (x || insn.src !== 0 || insn.off !== 0 || insn.imm !== 0) reservedFields(log, 'BPF_NEG'); return; }
      if (o === END) {
        if (insn.src !== 0 || insn.off !== 0 || (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) || (c === ALU64 && x)) reservedFields(log, 'BPF_END');
        return;
      }
      if (o === MOV) {
        // addr_space_cast (ALU64, off 1) has its imm checked by check_alu_op.
        if (x && c === ALU64 && insn.off === 1) return;
        if (x) {
          const offOk = insn.off === 0 || insn.off === 8 || insn.off === 16 || (c === ALU64 && insn.off === 32);
          if (!offOk || insn.imm !== 0) reservedFields(log, 'BPF_MOV');
        } else if (insn.src !== 0 || insn.off !== 0) reservedFields(log, 'BPF_MOV');
        return;
      }
      if ((x ? insn.imm !== 0 : insn.src !== 0) || (insn.off !== 0 && insn.off !== 1) || (insn.off === 1 && o !== DIV && o !== MOD)) reservedFields(log, 'BPF_ALU');
      return;
    case ST:
      if (mode(insn.code) !== 0x60 || insn.src !== 0) reservedFields(log, 'BPF_ST');
      return;
    case STX:
      if (mode(insn.code) !== 0xc0 && insn.imm !== 0) reservedFields(log, 'BPF_STX');
      return;
    case LD:
      if (insn.code === LD_IMM64) { if (insn.off !== 0) reservedFields(log, 'BPF_LD_IMM64'); return; }
      if (insn.dst !== 0 || insn.off !== 0 || size(insn.code) === 0x18 || (mode(insn.code) === 0x20 && insn.src !== 0)) reservedFields(log, 'BPF_LD_[ABS|IND]');
      return;
    case JMP:
    case JMP32:
      if (o === CALL) {
        if (x || insn.off !== 0 || (insn.src !== 0 && insn.src !== PSEUDO_CALL && insn.src !== 2) || insn.dst !== 0 || c === JMP32) reservedFields(log, 'BPF_CALL');
        return;
      }
      if (o === EXIT) {
        if (x || insn.imm !== 0 || insn.src !== 0 || insn.dst !== 0 || c === JMP32) reservedFields(log, 'BPF_EXIT');
        return;
      }
      if (o === JA) {
        if (x || insn.src !== 0 || insn.dst !== 0 || (c === JMP && insn.imm !== 0) || (c === JMP32 && insn.off !== 0)) reservedFields(log, 'BPF_JA');
        return;
      }
      // may_goto's fields are checked with the jump (`invalid may_goto imm`).
      if (o === 0xe0) return;
      if (x ? insn.imm !== 0 : insn.src !== 0) reservedFields(log, 'BPF_JMP/JMP32');
      return;
    default:
      return;
  }
}

function reservedFields(log: VerifierLog, what: string): never {
  return fail(log, 'EINVAL', 'reserved-fields', `${what} uses reserved fields`);
}
