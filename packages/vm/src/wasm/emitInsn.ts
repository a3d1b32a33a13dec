import type { EmitContext } from './emitContext.js';
import { emitAlu, operand } from './emitAlu.js';
import { get, i32c, i64c, mem, reg, set, setReg } from './emitBasics.js';
import { emitCall, emitLdAbs } from './emitCall.js';
import { emitAddr, emitAtomic, emitProbeLoad, loadOp, storeOp } from './emitMemory.js';
import { CALLBACK_TAG } from '../program/callback.js';
import { Local } from './layout.js';
import { LD_IMM64 } from './slots.js';
import { Op, Type } from './wasmOpcodes.js';

const ALU = 0x04;
const ALU64 = 0x07;
const JMP32 = 0x06;
const BPF_X = 0x08;
const SIZE_BYTES = [4, 2, 1, 8] as const;

/**
 * Emits one non-branching instruction (ALU, load, store, atomic, call,
 * ld_imm64, LD_ABS/LD_IND). Branches and `exit` are the structuring pass's.
 *
 * @example
 * for (let pc = b.start; pc < b.last; pc = nextPc(s, pc)) emitInsn(cx, pc);
 */
export function emitInsn(cx: EmitContext, pc: number): void {
  const { w, s } = cx;
  const code = s.code[pc] ?? 0;
  const size = SIZE_BYTES[(code >> 3) & 3] ?? 8;
  switch (code & 0x07) {
    case 0x00:
      if (code === LD_IMM64) {
        const lo = BigInt((s.imm[pc] ?? 0) >>> 0);
        // BPF_PSEUDO_FUNC: the callback's index, tagged so that it is no address and no helper id.
        const hi = BigInt(s.src[pc] === 4 ? CALLBACK_TAG : (s.imm[pc + 1] ?? 0) >>> 0);
        i64c(w, (hi << 32n) | lo);
        setReg(w, s.dst[pc] ?? 0);
      } else {
        emitLdAbs(cx, pc);
      }
      return;
    case 0x01:
      if ((code & 0xe0) === 0x20 || (code & 0xe0) === 0x40) {
        emitProbeLoad(cx, s.src[pc] ?? 0, s.off[pc] ?? 0, size, (code & 0xe0) === 0x40);
        setReg(w, s.dst[pc] ?? 0);
        return;
      }
      emitAddr(cx, s.src[pc] ?? 0, s.off[pc] ?? 0, size, pc);
      mem(w, loadOp(size, (code & 0xe0) === 0x80));
      setReg(w, s.dst[pc] ?? 0);
      return;
    case 0x02:
      emitAddr(cx, s.dst[pc] ?? 0, s.off[pc] ?? 0, size, pc);
      i64c(w, s.imm[pc] ?? 0);
      mem(w, storeOp(size));
      return;
    case 0x03:
      if ((code & 0xe0) === 0xc0) {
        emitAtomic(cx, pc, size);
        return;
      }
      emitAddr(cx, s.dst[pc] ?? 0, s.off[pc] ?? 0, size, pc);
      reg(w, s.src[pc] ?? 0);
      mem(w, storeOp(size));
      return;
    case ALU:
    case ALU64:
      emitAlu(cx, pc);
      return;
    default:
      if ((code & 0xf0) === 0x80) emitCall(cx, pc);
      // Other jump-class instructions end their block; nothing to emit inline.
  }
}

const CMP64: Readonly<Record<number, number>> = {
  0x10: Op.i64Eq, 0x20: Op.i64GtU, 0x30: Op.i64GeU, 0x50: Op.i64Ne, 0x60: Op.i64GtS, 0x70: Op.i64GeS,
  0xa0: Op.i64LtU, 0xb0: Op.i64LeU, 0xc0: Op.i64LtS, 0xd0: Op.i64LeS,
};
const CMP32: Readonly<Record<number, number>> = {
  0x10: Op.i32Eq, 0x20: Op.i32GtU, 0x30: Op.i32GeU, 0x50: Op.i32Ne, 0x60: Op.i32GtS, 0x70: Op.i32GeS,
  0xa0: Op.i32LtU, 0xb0: Op.i32LeU, 0xc0: Op.i32LtS, 0xd0: Op.i32LeS,
};

/**
 * Pushes an i32 that is non-zero when the conditional jump at `pc` is taken.
 * `may_goto` also spends one unit of the run's loop budget when it falls through.
 *
 * @example
 * emitCond(cx, block.last); // then br_if / if
 */
export function emitCond(cx: EmitContext, pc: number): void {
  const { w, s } = cx;
  const code = s.code[pc] ?? 0;
  const op = code & 0xf0;
  if (op === 0xe0) {
    get(w, Local.loops);
    w.byte(Op.i32Eqz);
    w.byte(Op.localTee).u32(Local.t32);
    w.byte(Op.i32Eqz);
    w.byte(Op.if).byte(Type.void);
    get(w, Local.loops);
    i32c(w, 1);
    w.byte(Op.i32Sub);
    set(w, Local.loops);
    w.byte(Op.end);
    get(w, Local.t32);
    return;
  }
  const is64 = (code & 0x07) !== JMP32;
  const isX = (code & BPF_X) !== 0;
  const dst = s.dst[pc] ?? 0;
  reg(w, dst);
  if (!is64) w.byte(Op.i32WrapI64);
  operand(w, isX, s.src[pc] ?? 0, s.imm[pc] ?? 0, is64);
  if (op === 0x40) {
    if (is64) {
      w.byte(Op.i64And);
      w.byte(Op.i64Eqz);
    } else {
      w.byte(Op.i32And);
      w.byte(Op.i32Eqz);
    }
    w.byte(Op.i32Eqz);
    return;
  }
  w.byte((is64 ? CMP64 : CMP32)[op] ?? Op.i32Eq);
}

