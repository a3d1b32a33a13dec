import { BPF_LD_IMM64 } from './opcodes.js';

/**
 * One 8-byte instruction slot, `struct bpf_insn`: an 8-bit opcode, two 4-bit
 * registers, a signed 16-bit offset and a signed 32-bit immediate.
 */
export interface InsnSlot {
  /** The opcode byte. */
  readonly code: number;
  /** `dst_reg`, 0–15. */
  readonly dst: number;
  /** `src_reg`, 0–15. */
  readonly src: number;
  /** `off`, a signed 16-bit value. */
  readonly off: number;
  /** `imm`, a signed 32-bit value. */
  readonly imm: number;
}

/**
 * One logical instruction. ld_imm64 (`BPF_LD | BPF_IMM | BPF_DW`) spans two
 * slots; its second slot is kept whole in `second` (its `imm` is the upper half
 * of the constant) so that odd encodings survive a decode/encode round trip.
 *
 * @example
 * const insn: Insn = { code: 0xb7, dst: 0, src: 0, off: 0, imm: 42 }; // r0 = 42
 */
export interface Insn extends InsnSlot {
  /** The second slot; present exactly when `code` is ld_imm64. */
  readonly second?: InsnSlot;
}

/** An empty second slot of ld_imm64, with the upper 32 bits of the constant. */
export function secondSlot(imm: number): InsnSlot {
  return { code: 0, dst: 0, src: 0, off: 0, imm: imm | 0 };
}

/** True for ld_imm64, the two-slot instruction. */
export function isLdImm64(insn: InsnSlot): boolean {
  return insn.code === BPF_LD_IMM64;
}

/** ld_imm64 of a plain constant (src 0, no reserved bits set in either slot). */
export function isPlainLdImm64(insn: Insn): boolean {
  const s = insn.second;
  return (
    insn.code === BPF_LD_IMM64 && insn.src === 0 && insn.off === 0 && insn.dst <= 15 &&
    s !== undefined && s.code === 0 && s.dst === 0 && s.src === 0 && s.off === 0
  );
}

/** How many 8-byte slots the instruction takes (2 for ld_imm64). */
export function insnSlots(insn: Insn): 1 | 2 {
  return insn.code === BPF_LD_IMM64 ? 2 : 1;
}

/**
 * The 64-bit constant of ld_imm64: `(u64)second.imm << 32 | (u32)imm`.
 *
 * @example
 * imm64(ldImm64(R0, 0x1122334455667788n)); // 0x1122334455667788n
 */
export function imm64(insn: Insn): bigint {
  const hi = BigInt((insn.second?.imm ?? 0) >>> 0);
  return (hi << 32n) | BigInt(insn.imm >>> 0);
}

/** The slot index of each instruction (ld_imm64 counts two), plus the total at the end. */
export function slotOffsets(insns: readonly Insn[]): number[] {
  const out: number[] = [];
  let pc = 0;
  for (const insn of insns) {
    out.push(pc);
    pc += insnSlots(insn);
  }
  out.push(pc);
  return out;
}

/** Total number of 8-byte slots (what the kernel calls `insn_cnt`). */
export function slotCount(insns: readonly Insn[]): number {
  let n = 0;
  for (const insn of insns) n += insnSlots(insn);
  return n;
}

/** Field-by-field equality, second slot included. */
export function insnEquals(a: Insn, b: Insn): boolean {
  if (a.code !== b.code || a.dst !== b.dst || a.src !== b.src || a.off !== b.off || a.imm !== b.imm) return false;
  const x = a.second;
  const y = b.second;
  if (x === undefined || y === undefined) return x === y;
  return x.code === y.code && x.dst === y.dst && x.src === y.src && x.off === y.off && x.imm === y.imm;
}
