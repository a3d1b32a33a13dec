/**
 * Instruction-encoding constants of the BPF ISA, named as in the kernel's
 * `include/uapi/linux/bpf_common.h` and `bpf.h`.
 *
 * @example
 * const code = BPF_ALU64 | BPF_MOV | BPF_K; // 0xb7, `r0 = imm`
 */

// Instruction classes (code & 0x07).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

// Load/store sizes (code & 0x18).
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;

// Load/store modes (code & 0xe0).
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;
/** Legacy name of {@link BPF_ATOMIC} (add only). */
export const BPF_XADD = 0xc0;
/** Kernel-internal speculation barrier (`BPF_ST | BPF_NOSPEC`); not UAPI. */
export const BPF_NOSPEC = 0xc0;

// Source operand (code & 0x08).
export const BPF_K = 0x00;
export const BPF_X = 0x08;
/** Byte-swap direction for BPF_END: to little endian (same bit as BPF_K). */
export const BPF_TO_LE = 0x00;
/** Byte-swap direction for BPF_END: to big endian (same bit as BPF_X). */
export const BPF_TO_BE = 0x08;

// ALU operations (code & 0xf0).
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_MOV = 0xb0;
export const BPF_ARSH = 0xc0;
export const BPF_END = 0xd0;

// Jump operations (code & 0xf0).
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;
export const BPF_JCOND = 0xe0;

/** `src_reg` of a `BPF_JMP | BPF_JCOND` instruction meaning `may_goto`. */
export const BPF_MAY_GOTO = 0;

// Atomic operations (imm of BPF_STX | BPF_ATOMIC).
export const BPF_FETCH = 0x01;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;
export const BPF_LOAD_ACQ = 0x100;
export const BPF_STORE_REL = 0x110;

// The pseudo `src_reg` values of ld_imm64 and calls are ABI: uapi owns them.
export {
  BPF_PSEUDO_BTF_ID,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
} from '@bpfkit/uapi';

/** `off` of `BPF_ALU64 | BPF_MOV | BPF_X` meaning `addr_space_cast`. */
export const BPF_ADDR_SPACE_CAST = 1;

/** The opcode of ld_imm64, the one instruction that spans two 8-byte slots. */
export const BPF_LD_IMM64 = BPF_LD | BPF_IMM | BPF_DW;

// Registers.
export const R0 = 0;
export const R1 = 1;
export const R2 = 2;
export const R3 = 3;
export const R4 = 4;
export const R5 = 5;
export const R6 = 6;
export const R7 = 7;
export const R8 = 8;
export const R9 = 9;
/** The read-only frame pointer. */
export const R10 = 10;
/** Registers a program may name (`MAX_BPF_REG`); the 4-bit fields encode up to 15. */
export const MAX_BPF_REG = 11;

/** The instruction class (`BPF_CLASS(code)`). */
export function bpfClass(code: number): number {
  return code & 0x07;
}
/** The load/store size (`BPF_SIZE(code)`). */
export function bpfSize(code: number): number {
  return code & 0x18;
}
/** The load/store mode (`BPF_MODE(code)`). */
export function bpfMode(code: number): number {
  return code & 0xe0;
}
/** The ALU or jump operation (`BPF_OP(code)`). */
export function bpfOp(code: number): number {
  return code & 0xf0;
}
/** The source operand bit (`BPF_SRC(code)`): {@link BPF_K} or {@link BPF_X}. */
export function bpfSrc(code: number): number {
  return code & 0x08;
}

/** Width in bytes of a load/store size. */
export function sizeBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size & 0x18) {
    case BPF_B:
      return 1;
    case BPF_H:
      return 2;
    case BPF_W:
      return 4;
    default:
      return 8;
  }
}
