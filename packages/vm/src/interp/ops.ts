/**
 * The interpreter's internal operation numbers. An instruction whose opcode
 * byte says everything runs under that byte itself (0x00–0xff); forms whose
 * meaning also depends on `src_reg`, `off` or `imm` (signed division, movsx,
 * byte swaps, pseudo calls, atomics…) and fused pairs get a number from
 * 0x100 up, chosen once at load so that the hot loop dispatches on one dense
 * `switch` (whose `case` labels are these values written out, see `execute`).
 *
 * @example
 * Op.SDIV64_X; // 0x115: `r0 s/= r1`
 */
export const Op = {
  /** `ld_imm64` with `BPF_PSEUDO_FUNC`: a callback value. */
  LD_FUNC: 0x100,
  /** `call` with `BPF_PSEUDO_CALL`: a bpf-to-bpf call. */
  CALL_LOCAL: 0x101,
  /** `call` with `BPF_PSEUDO_KFUNC_CALL`. */
  CALL_KFUNC: 0x102,
  /** `callx`: call through a register (helper id or callback value). */
  CALLX: 0x103,
  /** The second slot of an ld_imm64: reaching it is a bad jump. */
  LD_IMM64_TAIL: 0x104,
  /** Anything the interpreter cannot execute. */
  INVALID: 0x105,
  /** A jump or call whose target lies outside the program. */
  BAD_TARGET: 0x106,
  /** One past the last instruction: falling off the end. */
  FELL_OFF: 0x107,
  /** `may_goto` (`BPF_JMP | BPF_JCOND`, src 0). */
  MAY_GOTO: 0x108,
  /** Signed division and modulo (`off` = 1): 32/64 bit, K/X. */
  SDIV32_K: 0x110,
  SDIV32_X: 0x111,
  SMOD32_K: 0x112,
  SMOD32_X: 0x113,
  SDIV64_K: 0x114,
  SDIV64_X: 0x115,
  SMOD64_K: 0x116,
  SMOD64_X: 0x117,
  /** `movsx`: 32-bit from 8/16, 64-bit from 8/16/32. */
  MOVSX32_8: 0x120,
  MOVSX32_16: 0x121,
  MOVSX64_8: 0x122,
  MOVSX64_16: 0x123,
  MOVSX64_32: 0x124,
  /** `addr_space_cast` (ALU64 MOV X, off 1). */
  ADDR_SPACE_CAST: 0x125,
  /** Byte order: `le16`/`le32`/`le64` (truncations on a little-endian machine), `be*` and `bswap*` (swaps). */
  LE16: 0x130,
  LE32: 0x131,
  LE64: 0x132,
  SWAP16: 0x133,
  SWAP32: 0x134,
  SWAP64: 0x135,
  /** `BPF_STX | BPF_ATOMIC` of each size (the operation is in `imm`, checked at load). */
  ATOMIC_B: 0x140,
  ATOMIC_H: 0x141,
  ATOMIC_W: 0x142,
  ATOMIC_DW: 0x143,
  /** `LD_ABS`/`LD_IND` of 1, 2 and 4 bytes. */
  LD_ABS: 0x150,
  LD_IND: 0x151,
  /** A load or store of an unverified program (checked against the arena's allocations). */
  CHECKED_MEM: 0x160,
  /** `BPF_PROBE_MEM32` loads and stores (arena pointers, as the verifier rewrote them). */
  ARENA_MEM: 0x161,
  /** `BPF_PROBE_ATOMIC`: an atomic on an arena pointer. */
  ARENA_ATOMIC: 0x162,
  /** `BPF_PROBE_MEM` / `BPF_PROBE_MEMSX` loads (untrusted BTF pointers, as the verifier rewrote them): a fault reads 0. */
  PROBE_MEM: 0x163,
  /**
   * Fused pairs (superinstructions): `mov dst, src` then an ALU op with an
   * immediate (on any register), and `dst += imm` then `if dst > src goto`, the
   * commonest adjacent pairs compilers emit (measured on /work/shared/bench).
   * They run both instructions and count two; the second slot keeps its own
   * op for jumps that land on it.
   */
  MOV64_ADD64_K: 0x170,
  MOV64_LSH64_K: 0x171,
  MOV64_RSH64_K: 0x172,
  MOV64_AND64_K: 0x173,
  MOV32_ADD32_K: 0x174,
  MOV32_LSH32_K: 0x175,
  MOV32_RSH32_K: 0x176,
  MOV32_AND32_K: 0x177,
  ADD64_K_JGT_X: 0x178,
  /** The bounds check of packet code, `rX = rY; rX += N; if rX > rEnd goto`: three instructions, one dispatch. */
  MOV64_ADD64_K_JGT_X: 0x179,
  /** `goto` to a loop header `if rX >= N goto` / `if rX > N goto`: the jump and the test, one dispatch. */
  JA_JGE_K: 0x17a,
  JA_JGT_K: 0x17b,
  /**
   * A load of 1, 2 or 4 bytes, then an ALU op with a register that reads the
   * loaded value (`r5 = *(u8 *)(r3 +0); r0 += r5`); word 3 holds the ALU
   * op's kind and destination (see `fusePairs`).
   */
  LDXB_ALU_X: 0x17c,
  LDXH_ALU_X: 0x17d,
  LDXW_ALU_X: 0x17e,
  /** A 2- or 4-byte load then `be16`/`be32` of the loaded register (`ntohs`, `ntohl` of packet fields). */
  LDXH_BE16: 0x17f,
  LDXW_BE32: 0x180,
  /** The loop latch `rX += K1; if rX < K2 goto` (word 3 holds K2). */
  ADD64_K_JLT_K: 0x181,
  /** One past the highest internal op. */
  COUNT: 0x182,
} as const;
