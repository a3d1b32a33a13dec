import { opcodeInTable } from '@bpfkit/asm';
import { LD_IMM64, type Slots } from './slots.js';

/** How control leaves an instruction. */
export const Flow = {
  /** Goes on to the next instruction. */
  next: 0,
  /** `ja`/`gotol`: always to the target. */
  jump: 1,
  /** A conditional jump or `may_goto`: the target or the next instruction. */
  cond: 2,
  exit: 3,
  /** An instruction no engine can run: an `invalid-insn` fault here. */
  invalid: 4,
  /** A jump or bpf-to-bpf call whose target is no instruction: a `bad-jump` fault here. */
  badTarget: 5,
} as const;
/** One of {@link Flow}. */
export type FlowKind = (typeof Flow)[keyof typeof Flow];

const LD = 0x00;
const LDX = 0x01;
const STX = 0x03;
const ALU = 0x04;
const JMP = 0x05;
const JMP32 = 0x06;
const ALU64 = 0x07;

/** Atomic `imm` values for W/DW: add/or/and/xor with and without FETCH, xchg, cmpxchg. */
const RMW_ATOMICS = new Set([0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]);
const LOAD_ACQ = 0x100;
const STORE_REL = 0x110;

/**
 * Whether an engine can execute the instruction at `pc`, with the
 * interpreter's rules (same opcode table, registers r0–r10, div/mod and movsx
 * offsets, byte-swap widths, call and jcond sources, atomic operations, and
 * ld_imm64 sources the load-time fix-ups leave: plain or `BPF_PSEUDO_FUNC`).
 * Reserved fields that change nothing are not checked.
 *
 * @example
 * insnValid(slots, pc, image.kfuncs); // false for opcode 0xff
 */
export function insnValid(s: Slots, pc: number, kfuncs: ReadonlyMap<number, string> | undefined): boolean {
  const code = s.code[pc] ?? 0;
  const dst = s.dst[pc] ?? 0;
  const src = s.src[pc] ?? 0;
  const off = s.off[pc] ?? 0;
  const imm = s.imm[pc] ?? 0;
  if (code === 0x8d) return dst <= 10;
  // BPF_PROBE_MEM / BPF_PROBE_MEMSX loads, which only the verifier writes: in an unverified image they are unknown opcodes.
  if (s.verified && (code & 0x07) === LDX && ((code & 0xe0) === 0x20 || ((code & 0xe0) === 0x40 && (code & 0x18) !== 0x18))) return dst <= 10 && src <= 10;
  if (!opcodeInTable(code)) return false;
  const cls = code & 0x07;
  const bop = code & 0xf0;
  const isX = (code & 0x08) !== 0;
  if (dst > 10 || ((isX || cls === LDX || cls === STX) && src > 10 && !(cls === JMP && (bop === 0x80 || bop === 0xe0)))) return false;
  if (cls === ALU || cls === ALU64) {
    const wide = cls === ALU64;
    if (bop === 0x30 || bop === 0x90) return off === 0 || off === 1;
    if (bop === 0xb0 && isX && off !== 0) return (wide && off === 1) || off === 8 || off === 16 || (off === 32 && wide);
    if (bop === 0xd0) return imm === 16 || imm === 32 || imm === 64;
    return true;
  }
  if (cls === JMP || cls === JMP32) {
    if (bop === 0x80) return src === 0 || src === 1 || (src === 2 && kfuncs?.has(pc) === true);
    if (bop === 0xe0) return src === 0;
    return true;
  }
  if (cls === LD && code === LD_IMM64) return src === 0 || src === 4;
  if (cls === STX && (code & 0xe0) === 0xc0) {
    const size = code & 0x18;
    return imm === LOAD_ACQ || imm === STORE_REL || ((size === 0x00 || size === 0x18) && RMW_ATOMICS.has(imm));
  }
  return true;
}

/**
 * The slot a jump, `may_goto` or bpf-to-bpf call at `pc` goes to (`gotol` and calls take it from `imm`).
 *
 * @example
 * jumpTarget(slots, pc); // pc + off + 1
 */
export function jumpTarget(s: Slots, pc: number): number {
  const code = s.code[pc] ?? 0;
  if (code === 0x06 || code === 0x85) return pc + (s.imm[pc] ?? 0) + 1;
  return pc + (s.off[pc] ?? 0) + 1;
}

/**
 * Whether `pc` starts an instruction (in range, not the second half of an ld_imm64).
 *
 * @example
 * isInsnStart(slots, target); // false inside an ld_imm64
 */
export function isInsnStart(s: Slots, pc: number): boolean {
  return pc >= 0 && pc < s.n && s.second[pc] === 0;
}

/**
 * How control leaves the instruction at `pc`.
 *
 * @example
 * flowOf(slots, pc, kfuncs) === Flow.exit;
 */
export function flowOf(s: Slots, pc: number, kfuncs: ReadonlyMap<number, string> | undefined): FlowKind {
  if (!insnValid(s, pc, kfuncs)) return Flow.invalid;
  const code = s.code[pc] ?? 0;
  const cls = code & 0x07;
  if (cls !== JMP && cls !== JMP32) return Flow.next;
  const op = code & 0xf0;
  if (op === 0x80) {
    if (code === 0x85 && s.src[pc] === 1 && !isInsnStart(s, jumpTarget(s, pc))) return Flow.badTarget;
    return Flow.next;
  }
  if (op === 0x90) return Flow.exit;
  if (!isInsnStart(s, jumpTarget(s, pc))) return Flow.badTarget;
  return op === 0x00 ? Flow.jump : Flow.cond;
}

/**
 * The slot after the instruction at `pc` (ld_imm64 takes two).
 *
 * @example
 * nextPc(slots, pc); // pc + 2 after ld_imm64
 */
export function nextPc(s: Slots, pc: number): number {
  return s.code[pc] === LD_IMM64 ? pc + 2 : pc + 1;
}
