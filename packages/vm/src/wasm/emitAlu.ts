import type { EmitContext } from './emitContext.js';
import { get, i32c, i64c, reg, setReg } from './emitBasics.js';
import { emitFaultAt } from './emitFrame.js';
import { FaultCode, Local } from './layout.js';
import { Op, Type } from './wasmOpcodes.js';
import type { WasmWriter } from './wasmWriter.js';

const ALU64 = 0x07;
const BPF_X = 0x08;

/** bswap of the low 32 bits of the i32 on the stack (Wasm has no byte-swap instruction). */
function bswap32(w: WasmWriter): void {
  w.byte(Op.localTee).u32(Local.t32);
  i32c(w, 0xff00ff00 | 0);
  w.byte(Op.i32And);
  i32c(w, 8);
  w.byte(Op.i32Rotl);
  get(w, Local.t32);
  i32c(w, 0x00ff00ff);
  w.byte(Op.i32And);
  i32c(w, 8);
  w.byte(Op.i32Rotr);
  w.byte(Op.i32Or);
}

/** Replaces register `r` by its low `bits` byte-swapped, zero-extended. */
function emitBswap(w: WasmWriter, r: number, bits: number): void {
  if (bits === 16) {
    // x * 0x10001 puts a copy of the 16 bits above them; the middle 16 bits are the swap.
    reg(w, r);
    w.byte(Op.i32WrapI64);
    i32c(w, 0xffff);
    w.byte(Op.i32And);
    i32c(w, 0x10001);
    w.byte(Op.i32Mul);
    i32c(w, 8);
    w.byte(Op.i32ShrU);
    i32c(w, 0xffff);
    w.byte(Op.i32And);
    w.byte(Op.i64ExtendI32U);
  } else if (bits === 32) {
    reg(w, r);
    w.byte(Op.i32WrapI64);
    bswap32(w);
    w.byte(Op.i64ExtendI32U);
  } else {
    reg(w, r);
    w.byte(Op.localTee).u32(Local.t64);
    w.byte(Op.i32WrapI64);
    bswap32(w);
    w.byte(Op.i64ExtendI32U);
    i64c(w, 32);
    w.byte(Op.i64Shl);
    get(w, Local.t64);
    i64c(w, 32);
    w.byte(Op.i64ShrU);
    w.byte(Op.i32WrapI64);
    bswap32(w);
    w.byte(Op.i64ExtendI32U);
    w.byte(Op.i64Or);
  }
  setReg(w, r);
}

const ALU64_OPS: Readonly<Record<number, number>> = {
  0x00: Op.i64Add, 0x10: Op.i64Sub, 0x20: Op.i64Mul, 0x40: Op.i64Or, 0x50: Op.i64And,
  0x60: Op.i64Shl, 0x70: Op.i64ShrU, 0xa0: Op.i64Xor, 0xc0: Op.i64ShrS,
};
const ALU32_OPS: Readonly<Record<number, number>> = {
  0x00: Op.i32Add, 0x10: Op.i32Sub, 0x20: Op.i32Mul, 0x40: Op.i32Or, 0x50: Op.i32And,
  0x60: Op.i32Shl, 0x70: Op.i32ShrU, 0xa0: Op.i32Xor, 0xc0: Op.i32ShrS,
};

/** Pushes the second operand: `src` or the immediate (sign-extended for ALU64, as is for ALU32). */
export function operand(w: WasmWriter, isX: boolean, src: number, imm: number, is64: boolean): void {
  if (is64) {
    if (isX) reg(w, src);
    else i64c(w, imm);
  } else if (isX) {
    reg(w, src);
    w.byte(Op.i32WrapI64);
  } else {
    i32c(w, imm);
  }
}

/**
 * Division and modulo with BPF's rules instead of Wasm's traps: x/0 = 0,
 * x%0 = x (ALU32: its low half), signed INT_MIN/-1 = INT_MIN and INT_MIN%-1 = 0.
 */
function emitDivMod(w: WasmWriter, op: number, signed: boolean, is64: boolean, isX: boolean, dst: number, src: number, imm: number): void {
  const isMod = op === 0x90;
  const eqz = is64 ? Op.i64Eqz : Op.i32Eqz;
  const ty = is64 ? Type.i64 : Type.i32;
  const divOp = is64 ? (signed ? Op.i64DivS : Op.i64DivU) : signed ? Op.i32DivS : Op.i32DivU;
  const remOp = is64 ? (signed ? Op.i64RemS : Op.i64RemU) : signed ? Op.i32RemS : Op.i32RemU;
  const dstVal = (): void => {
    reg(w, dst);
    if (!is64) w.byte(Op.i32WrapI64);
  };
  const zero = (): void => {
    if (is64) i64c(w, 0);
    else i32c(w, 0);
  };
  if (!isX) {
    if (imm === 0) {
      if (isMod) dstVal();
      else zero();
    } else if (signed && imm === -1) {
      if (isMod) zero();
      else {
        zero();
        dstVal();
        w.byte(is64 ? Op.i64Sub : Op.i32Sub);
      }
    } else {
      dstVal();
      operand(w, false, 0, imm, is64);
      w.byte(isMod ? remOp : divOp);
    }
  } else {
    operand(w, true, src, 0, is64);
    w.byte(eqz);
    w.byte(Op.if).byte(ty);
    if (isMod) dstVal();
    else zero();
    w.byte(Op.else);
    if (signed && !isMod) {
      // Wasm's div_s traps on INT_MIN / -1; BPF wants INT_MIN (the negation, wrapped).
      operand(w, true, src, 0, is64);
      if (is64) i64c(w, -1);
      else i32c(w, -1);
      w.byte(is64 ? Op.i64Eq : Op.i32Eq);
      w.byte(Op.if).byte(ty);
      zero();
      dstVal();
      w.byte(is64 ? Op.i64Sub : Op.i32Sub);
      w.byte(Op.else);
      dstVal();
      operand(w, true, src, 0, is64);
      w.byte(divOp);
      w.byte(Op.end);
    } else {
      dstVal();
      operand(w, true, src, 0, is64);
      w.byte(isMod ? remOp : divOp);
    }
    w.byte(Op.end);
  }
  if (!is64) w.byte(Op.i64ExtendI32U);
  setReg(w, dst);
}

/**
 * ALU and ALU64: the operation on i64 locals, ALU32 on their low halves with
 * the result zero-extended, division and byte swaps with BPF's rules.
 *
 * @example
 * emitAlu(cx, pc); // `w0 += w1` → local.get, i32.wrap_i64 ×2, i32.add, i64.extend_i32_u, local.set
 */
export function emitAlu(cx: EmitContext, pc: number): void {
  const { w, s } = cx;
  const code = s.code[pc] ?? 0;
  const dst = s.dst[pc] ?? 0;
  const src = s.src[pc] ?? 0;
  const off = s.off[pc] ?? 0;
  const imm = s.imm[pc] ?? 0;
  const is64 = (code & 0x07) === ALU64;
  const isX = (code & BPF_X) !== 0;
  const op = code & 0xf0;
  switch (op) {
    case 0x30:
    case 0x90:
      emitDivMod(w, op, off === 1, is64, isX, dst, src, imm);
      return;
    case 0x80:
      if (is64) {
        i64c(w, 0);
        reg(w, dst);
        w.byte(Op.i64Sub);
      } else {
        i32c(w, 0);
        reg(w, dst);
        w.byte(Op.i32WrapI64);
        w.byte(Op.i32Sub);
        w.byte(Op.i64ExtendI32U);
      }
      setReg(w, dst);
      return;
    case 0xb0:
      if (!isX) {
        i64c(w, is64 ? BigInt(imm) : BigInt(imm >>> 0));
      } else if (is64) {
        reg(w, src);
        if (off === 8) w.byte(Op.i64Extend8S);
        else if (off === 16) w.byte(Op.i64Extend16S);
        else if (off === 32) w.byte(Op.i64Extend32S);
      } else {
        reg(w, src);
        w.byte(Op.i32WrapI64);
        if (off === 8) w.byte(Op.i32Extend8S);
        else if (off === 16) w.byte(Op.i32Extend16S);
        w.byte(Op.i64ExtendI32U);
      }
      setReg(w, dst);
      return;
    case 0xd0:
      if (is64 || isX) {
        emitBswap(w, dst, imm);
      } else if (imm !== 64) {
        // to-little-endian on a little-endian machine: truncation only.
        reg(w, dst);
        i64c(w, imm === 16 ? 0xffff : 0xffffffff);
        w.byte(Op.i64And);
        setReg(w, dst);
      }
      return;
    default: {
      const wop = (is64 ? ALU64_OPS : ALU32_OPS)[op];
      if (wop === undefined) {
        emitFaultAt(cx, FaultCode.invalidInsn, pc);
        return;
      }
      reg(w, dst);
      if (!is64) w.byte(Op.i32WrapI64);
      operand(w, isX, src, imm, is64);
      w.byte(wop);
      if (!is64) w.byte(Op.i64ExtendI32U);
      setReg(w, dst);
    }
  }
}

