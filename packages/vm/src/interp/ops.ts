/**
 * The interpreter's internal operation numbers. An instruction whose opcode
 * byte says everything runs under that byte itself (0x00–0xff); forms whose
 * meaning also depends on `src_reg`, `off` or `imm` (signed division, movsx,
 * byte swaps, pseudo calls, atomics…) get a number from 0x100 up, chosen once
 * at load so that the hot loop dispatches on one dense `switch`.
 */

/** `ld_imm64` with `BPF_PSEUDO_FUNC`: a callback value. */
export const OP_LD_FUNC = 0x100;
/** `call` with `BPF_PSEUDO_CALL`: a bpf-to-bpf call. */
export const OP_CALL_LOCAL = 0x101;
/** `call` with `BPF_PSEUDO_KFUNC_CALL`. */
export const OP_CALL_KFUNC = 0x102;
/** `callx`: call through a register (helper id or callback value). */
export const OP_CALLX = 0x103;
/** The second slot of an ld_imm64: reaching it is a bad jump. */
export const OP_LD_IMM64_TAIL = 0x104;
/** Anything the interpreter cannot execute. */
export const OP_INVALID = 0x105;
/** A jump or call whose target lies outside the program. */
export const OP_BAD_TARGET = 0x106;
/** One past the last instruction: falling off the end. */
export const OP_FELL_OFF = 0x107;
/** `may_goto` (`BPF_JMP | BPF_JCOND`, src 0). */
export const OP_MAY_GOTO = 0x108;

/** Signed division and modulo (`off` = 1): 32/64 bit, K/X. */
export const OP_SDIV32_K = 0x110;
export const OP_SDIV32_X = 0x111;
export const OP_SMOD32_K = 0x112;
export const OP_SMOD32_X = 0x113;
export const OP_SDIV64_K = 0x114;
export const OP_SDIV64_X = 0x115;
export const OP_SMOD64_K = 0x116;
export const OP_SMOD64_X = 0x117;

/** `movsx`: 32-bit from 8/16, 64-bit from 8/16/32. */
export const OP_MOVSX32_8 = 0x120;
export const OP_MOVSX32_16 = 0x121;
export const OP_MOVSX64_8 = 0x122;
export const OP_MOVSX64_16 = 0x123;
export const OP_MOVSX64_32 = 0x124;
/** `addr_space_cast` (ALU64 MOV X, off 1). */
export const OP_ADDR_SPACE_CAST = 0x125;

/** Byte order: `le16`/`le32`/`le64` (truncations on a little-endian machine), `be*` and `bswap*` (swaps). */
export const OP_LE16 = 0x130;
export const OP_LE32 = 0x131;
export const OP_LE64 = 0x132;
export const OP_SWAP16 = 0x133;
export const OP_SWAP32 = 0x134;
export const OP_SWAP64 = 0x135;

/** `BPF_STX | BPF_ATOMIC` of each size (the operation is in `imm`, checked at load). */
export const OP_ATOMIC_B = 0x140;
export const OP_ATOMIC_H = 0x141;
export const OP_ATOMIC_W = 0x142;
export const OP_ATOMIC_DW = 0x143;
/** `LD_ABS`/`LD_IND` of 1, 2 and 4 bytes. */
export const OP_LD_ABS = 0x150;
export const OP_LD_IND = 0x151;

/** A load or store of an unverified program (checked against the arena's allocations). */
export const OP_CHECKED_MEM = 0x160;

/**
 * Fused pairs (superinstructions): `mov dst, src` then an ALU op with an
 * immediate on the same dst, and `dst += imm` then `if dst > src goto` — the
 * commonest adjacent pairs compilers emit (measured on /work/shared/bench).
 * They run both instructions and count two; the second slot keeps its own op
 * for jumps that land on it.
 */
export const OP_MOV64_ADD64_K = 0x170;
export const OP_MOV64_LSH64_K = 0x171;
export const OP_MOV64_RSH64_K = 0x172;
export const OP_MOV64_AND64_K = 0x173;
export const OP_MOV32_ADD32_K = 0x174;
export const OP_MOV32_LSH32_K = 0x175;
export const OP_MOV32_RSH32_K = 0x176;
export const OP_MOV32_AND32_K = 0x177;
export const OP_ADD64_K_JGT_X = 0x178;
/** The bounds check of packet code, `rX = rY; rX += N; if rX > rEnd goto`: three instructions, one dispatch. */
export const OP_MOV64_ADD64_K_JGT_X = 0x179;
/** `goto` to a loop header `if rX >= N goto` / `if rX > N goto`: the jump and the test, one dispatch. */
export const OP_JA_JGE_K = 0x17a;
export const OP_JA_JGT_K = 0x17b;

/** One past the highest internal op. */
export const OP_COUNT = 0x17c;
