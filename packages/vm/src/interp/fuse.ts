import type { DecodedProgram } from '../program/decode.js';
import { Op } from './ops.js';

// Superinstructions: after classification, a slot that starts a common pair
// (or the packet bounds-check triple) gets a fused op that runs both and
// counts both. Measured on /work/shared/bench with `node --cpu-prof`: the
// interpreter's cost is the dispatch, so fewer dispatches is what pays.

/** mov X (64 or 32 bit) followed by an ALU-with-immediate op: the fused op, by the second opcode. */
const MOV_FUSIONS: ReadonlyMap<number, ReadonlyMap<number, number>> = new Map([
  [0xbf, new Map<number, number>([[0x07, Op.MOV64_ADD64_K], [0x67, Op.MOV64_LSH64_K], [0x77, Op.MOV64_RSH64_K], [0x57, Op.MOV64_AND64_K]])],
  [0xbc, new Map<number, number>([[0x04, Op.MOV32_ADD32_K], [0x64, Op.MOV32_LSH32_K], [0x74, Op.MOV32_RSH32_K], [0x54, Op.MOV32_AND32_K]])],
]);

/** The ALU ops with a register a load may fuse with, by opcode: the kind number the hot loop switches on. */
const LOAD_ALU_KINDS: ReadonlyMap<number, number> = new Map([
  [0x0f, 0], // add64 X
  [0x0c, 1], // add32 X
  [0xaf, 2], // xor64 X
  [0xac, 3], // xor32 X
  [0x4f, 4], // or64 X
  [0x4c, 5], // or32 X
]);
const LOAD_FUSIONS: ReadonlyMap<number, number> = new Map([
  [0x71, Op.LDXB_ALU_X],
  [0x69, Op.LDXH_ALU_X],
  [0x61, Op.LDXW_ALU_X],
]);

/** Whether slot i starts a same-register fused pair (which a pair at i - 1 would hide). */
function startsPair(ops: Uint16Array, p: DecodedProgram, i: number): boolean {
  const first = ops[i] ?? 0;
  const second = ops[i + 1] ?? 0;
  if ((p.dst[i] ?? 0) !== (p.dst[i + 1] ?? 0)) return false;
  return MOV_FUSIONS.get(first)?.has(second) === true || (first === 0x07 && (second === 0x2d || second === 0xa5));
}

/**
 * Rewrites the packed op of slot i into a superinstruction where slots i and
 * i+1 form a fusable pair (see `Op.MOV64_ADD64_K`). Only the first half may
 * fault (a load) and only the last may branch, so running both is the same
 * as running them one after the other; slot i+1 keeps its own op for jumps
 * that land there, and a budget that ends between them runs the first only.
 *
 * @example
 * fusePairs(ops, decoded, packed, target); // once, at the end of buildInterpCode
 */
export function fusePairs(ops: Uint16Array, p: DecodedProgram, packed: Int32Array, target: Int32Array): void {
  // Slot i + 2 may be the `exit` sentinel past the end, never a jgt: reading it is safe.
  for (let i = 0; i + 1 < p.length; i++) {
    const first = ops[i] ?? 0;
    const second = ops[i + 1] ?? 0;
    if (first === 0x05 || first === 0x06) {
      // goto a loop header that tests a register against an immediate
      const t = target[i] ?? 0;
      const header = ops[t];
      if (header === 0x35 || header === 0x25) {
        packed[4 * i] = (header === 0x35 ? Op.JA_JGE_K : Op.JA_JGT_K) | ((p.dst[t] ?? 0) << 17);
        packed[4 * i + 1] = p.imm[t] ?? 0;
        packed[4 * i + 2] = target[t] ?? 0;
        packed[4 * i + 3] = t;
      }
      continue;
    }
    const dst = p.dst[i] ?? 0;
    const dst2 = p.dst[i + 1] ?? 0;
    const load = LOAD_FUSIONS.get(first);
    const kind = LOAD_ALU_KINDS.get(second);
    if (load !== undefined && kind !== undefined && (p.src[i + 1] ?? 0) === dst) {
      // rA = *(size *)(rB + off); rC op= rA: word 3 is the op's kind and rC's index.
      packed[4 * i] = load | (dst << 17) | ((p.src[i] ?? 0) << 25);
      packed[4 * i + 3] = (kind << 8) | (dst2 * 2);
      continue;
    }
    if (dst2 === dst && ((first === 0x69 && second === Op.SWAP16) || (first === 0x61 && second === Op.SWAP32))) {
      // rA = *(u16 *)(rB + off); rA = be16 rA (and the 32-bit form)
      packed[4 * i] = (first === 0x69 ? Op.LDXH_BE16 : Op.LDXW_BE32) | (dst << 17) | ((p.src[i] ?? 0) << 25);
      continue;
    }
    const fused = MOV_FUSIONS.get(first)?.get(second);
    if (fused === Op.MOV64_ADD64_K && dst2 === dst && ops[i + 2] === 0x2d && (p.dst[i + 2] ?? 0) === dst) {
      // rX = rY; rX += N; if rX > rZ goto: the packet bounds check.
      packed[4 * i] = Op.MOV64_ADD64_K_JGT_X | (dst << 17) | ((p.src[i] ?? 0) << 25);
      packed[4 * i + 1] = p.imm[i + 1] ?? 0;
      packed[4 * i + 2] = target[i + 2] ?? 0;
      packed[4 * i + 3] = (p.src[i + 2] ?? 0) * 2;
    } else if (fused !== undefined && (dst2 === dst || !startsPair(ops, p, i + 1))) {
      // The second op may work on another register (`r3 = r4; r6 += 1`): its index goes in word 3.
      // Such a pair gives way to a pair starting at the next slot (the run would skip that one).
      packed[4 * i] = fused | (dst << 17) | ((p.src[i] ?? 0) << 25);
      packed[4 * i + 1] = p.imm[i + 1] ?? 0;
      packed[4 * i + 3] = dst2 * 2;
    } else if (first === 0x07 && second === 0xa5 && dst2 === dst) {
      // the loop latch: dst += K1; if dst < K2 goto target
      packed[4 * i] = Op.ADD64_K_JLT_K | (dst << 17);
      packed[4 * i + 2] = target[i + 1] ?? 0;
      packed[4 * i + 3] = p.imm[i + 1] ?? 0;
    } else if (first === 0x07 && second === 0x2d && dst2 === dst) {
      // dst += imm; if dst > src goto target
      packed[4 * i] = Op.ADD64_K_JGT_X | (dst << 17) | ((p.src[i + 1] ?? 0) << 25);
      packed[4 * i + 2] = target[i + 1] ?? 0;
    }
  }
}

