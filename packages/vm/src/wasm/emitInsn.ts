import { ARENA_GUARD_BYTES } from '@bpfkit/kernel-api';
import { CALLBACK_TAG } from '../program/callback.js';
import type { EmitContext } from './emitContext.js';
import { BPF_MAX_LOOPS, FaultCode, FRAME_BYTES, Global, Import, Local, regLocal } from './layout.js';
import { LD_IMM64 } from './slots.js';
import { Op, Type } from './wasmOpcodes.js';
import type { WasmWriter } from './wasmWriter.js';

// BPF opcode fields (include/uapi/linux/bpf_common.h).
const ALU = 0x04;
const ALU64 = 0x07;
const JMP32 = 0x06;
const BPF_X = 0x08;
const SIZE_BYTES = [4, 2, 1, 8] as const;
/** The `tail_call` helper: the only one after which the caller may have to return at once. */
const BPF_FUNC_TAIL_CALL = 12;

function i64c(w: WasmWriter, v: bigint | number): void {
  w.byte(Op.i64Const).s64(BigInt(v));
}
function i32c(w: WasmWriter, v: number): void {
  w.byte(Op.i32Const).s32(v);
}
function get(w: WasmWriter, local: number): void {
  w.byte(Op.localGet).u32(local);
}
function set(w: WasmWriter, local: number): void {
  w.byte(Op.localSet).u32(local);
}
function reg(w: WasmWriter, r: number): void {
  get(w, regLocal(r));
}
function setReg(w: WasmWriter, r: number): void {
  set(w, regLocal(r));
}
function gget(w: WasmWriter, g: number): void {
  w.byte(Op.globalGet).u32(g);
}
function gset(w: WasmWriter, g: number): void {
  w.byte(Op.globalSet).u32(g);
}
function mem(w: WasmWriter, op: number, offset = 0): void {
  w.byte(op).u32(0).u32(offset);
}

/**
 * The function's shared memory-fault path: `fault(memory, pc, ea, size)` from {@link Local.fpc} and {@link Local.ea}.
 *
 * @example
 * emitMemoryFaultPath(cx); // after the function body's outer block
 */
export function emitMemoryFaultPath(cx: EmitContext): void {
  const w = cx.w;
  emitFlush(cx);
  i32c(w, FaultCode.memory);
  get(w, Local.fpc);
  i32c(w, 4);
  w.byte(Op.i32ShrU);
  get(w, Local.ea);
  w.byte(Op.i32WrapI64);
  get(w, Local.ea);
  i64c(w, 32);
  w.byte(Op.i64ShrU);
  w.byte(Op.i32WrapI64);
  get(w, Local.fpc);
  i32c(w, 15);
  w.byte(Op.i32And);
  w.byte(Op.call).u32(Import.fault);
  w.byte(Op.unreachable);
}

/**
 * Emits a call to the `fault` import that never returns.
 *
 * @example
 * emitFault(w, FaultCode.badJump, 7); // bad-jump at pc 7
 */
export function emitFault(w: WasmWriter, code: number, pc: number): void {
  i32c(w, code);
  i32c(w, pc);
  i32c(w, 0);
  i32c(w, 0);
  i32c(w, 0);
  w.byte(Op.call).u32(Import.fault);
  w.byte(Op.unreachable);
}

/**
 * Adds this frame's pending count to the global one (without a limit the
 * count lives in a local): before calls and faults, so that a fault anywhere
 * sees every instruction executed so far.
 *
 * @example
 * emitFlush(cx); // before a helper call
 */
export function emitFlush(cx: EmitContext): void {
  if (cx.limitMode) return;
  const w = cx.w;
  gget(w, Global.count);
  get(w, Local.cnt);
  w.byte(Op.i64Add);
  gset(w, Global.count);
  i64c(w, 0);
  set(w, Local.cnt);
}

/**
 * A fault at `pc` with the count flushed first.
 *
 * @example
 * emitFaultAt(cx, FaultCode.invalidInsn, pc);
 */
export function emitFaultAt(cx: EmitContext, code: number, pc: number): void {
  emitFlush(cx);
  emitFault(cx.w, code, pc);
}

/**
 * Adds this block's instruction count (and checks the limit in limit mode).
 *
 * @example
 * emitCount(cx, block.start, block.insnCount);
 */
export function emitCount(cx: EmitContext, startPc: number, insns: number): void {
  const w = cx.w;
  if (!cx.limitMode) {
    get(w, Local.cnt);
    i64c(w, insns);
    w.byte(Op.i64Add);
    set(w, Local.cnt);
    return;
  }
  gget(w, Global.count);
  i64c(w, insns);
  w.byte(Op.i64Add);
  w.byte(Op.localTee).u32(Local.t64);
  gset(w, Global.count);
  get(w, Local.t64);
  gget(w, Global.limit);
  w.byte(Op.i64GtU);
  w.byte(Op.if).byte(Type.void);
  i32c(w, startPc);
  i32c(w, insns);
  w.byte(Op.call).u32(Import.limit);
  w.byte(Op.end);
}

/**
 * Leaves a frame: pops the stack pointer and adds the frame's count to the global one.
 *
 * @example
 * emitEpilogue(cx); // then push r0 and return
 */
export function emitEpilogue(cx: EmitContext): void {
  const w = cx.w;
  get(w, Local.fp);
  i32c(w, FRAME_BYTES);
  w.byte(Op.i32Add);
  gset(w, Global.sp);
  if (!cx.limitMode) {
    gget(w, Global.count);
    get(w, Local.cnt);
    w.byte(Op.i64Add);
    gset(w, Global.count);
  }
}

/**
 * Leaves the function: the epilogue, then r0 (verified images) or r0–r5
 * (unverified ones, whose callers take the callee's r1–r5 as the
 * interpreter's shared register file would have them).
 *
 * @example
 * emitReturn(cx); // `exit`
 */
export function emitReturn(cx: EmitContext): void {
  const w = cx.w;
  emitEpilogue(cx);
  reg(w, 0);
  if (!cx.verified) for (let r = 1; r <= 5; r++) reg(w, r);
  w.byte(Op.return);
}

/**
 * Enters a frame: 512 bytes below the caller's, r10 at its top, a fresh `may_goto` budget.
 *
 * @example
 * emitPrologue(cx); // first thing in every subprogram
 */
export function emitPrologue(cx: EmitContext): void {
  const w = cx.w;
  if (cx.s.code.includes(0xe5)) {
    i32c(w, BPF_MAX_LOOPS);
    set(w, Local.loops);
  }
  gget(w, Global.sp);
  i32c(w, FRAME_BYTES);
  w.byte(Op.i32Sub);
  w.byte(Op.localTee).u32(Local.fp);
  gset(w, Global.sp);
  get(w, Local.fp);
  w.byte(Op.i64ExtendI32U);
  set(w, Local.r10);
}

/**
 * Pushes the i32 address of an access of `size` bytes at `r + off`, after the
 * check the image needs: verified code gets one unsigned compare against the
 * arena's end (r10-based accesses none: the verifier bounded them to the
 * frame), unverified code asks the arena whether one allocation holds it.
 */
function emitAddr(cx: EmitContext, r: number, off: number, size: number, pc: number): void {
  const w = cx.w;
  if (cx.verified && r === 10) {
    reg(w, 10);
    w.byte(Op.i32WrapI64);
    if (off !== 0) {
      i32c(w, off);
      w.byte(Op.i32Add);
    }
    return;
  }
  reg(w, r);
  if (off !== 0) {
    i64c(w, off);
    w.byte(Op.i64Add);
  }
  w.byte(Op.localTee).u32(Local.ea);
  if (cx.verified) {
    i64c(w, ARENA_GUARD_BYTES);
    w.byte(Op.i64Sub);
    gget(w, size === 1 ? Global.lim1 : size === 2 ? Global.lim2 : size === 4 ? Global.lim4 : Global.lim8);
    w.byte(Op.i64GtU);
    // The fault call sits once at the function's end: no call inside loops keeps registers in registers.
    w.byte(Op.if).byte(Type.void);
    i32c(w, (pc << 4) | size);
    set(w, Local.fpc);
    w.byte(Op.br).u32(cx.depth + 1);
    w.byte(Op.end);
  } else {
    w.byte(Op.i32WrapI64);
    get(w, Local.ea);
    i64c(w, 32);
    w.byte(Op.i64ShrU);
    w.byte(Op.i32WrapI64);
    i32c(w, size);
    i32c(w, pc);
    w.byte(Op.call).u32(Import.check);
  }
  get(w, Local.ea);
  w.byte(Op.i32WrapI64);
}

function loadOp(size: number, signed: boolean): number {
  if (size === 1) return signed ? Op.i64Load8S : Op.i64Load8U;
  if (size === 2) return signed ? Op.i64Load16S : Op.i64Load16U;
  if (size === 4) return signed ? Op.i64Load32S : Op.i64Load32U;
  return Op.i64Load;
}
function storeOp(size: number): number {
  if (size === 1) return Op.i64Store8;
  if (size === 2) return Op.i64Store16;
  if (size === 4) return Op.i64Store32;
  return Op.i64Store;
}

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
function operand(w: WasmWriter, isX: boolean, src: number, imm: number, is64: boolean): void {
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

function emitAlu(cx: EmitContext, pc: number): void {
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

const ATOMIC_ALU: Readonly<Record<number, number>> = { 0x00: Op.i64Add, 0x40: Op.i64Or, 0x50: Op.i64And, 0xa0: Op.i64Xor };

function emitAtomic(cx: EmitContext, pc: number, size: number): void {
  const { w, s } = cx;
  const dst = s.dst[pc] ?? 0;
  const src = s.src[pc] ?? 0;
  const off = s.off[pc] ?? 0;
  const aop = s.imm[pc] ?? 0;
  if (aop === 0x100) {
    emitAddr(cx, src, off, size, pc);
    mem(w, loadOp(size, false));
    setReg(w, dst);
    return;
  }
  if (aop === 0x110) {
    emitAddr(cx, dst, off, size, pc);
    reg(w, src);
    mem(w, storeOp(size));
    return;
  }
  emitAddr(cx, dst, off, size, pc);
  set(w, Local.a32);
  // One thread runs a program at a time: a load, the operation and a store are atomic enough.
  get(w, Local.a32);
  mem(w, loadOp(size, false));
  set(w, Local.t64);
  if (aop === 0xf1) {
    get(w, Local.t64);
    reg(w, 0);
    if (size === 4) {
      i64c(w, 0xffffffff);
      w.byte(Op.i64And);
    }
    w.byte(Op.i64Eq);
    w.byte(Op.if).byte(Type.void);
    get(w, Local.a32);
    reg(w, src);
    mem(w, storeOp(size));
    w.byte(Op.end);
    get(w, Local.t64);
    setReg(w, 0);
    return;
  }
  get(w, Local.a32);
  if (aop === 0xe1) {
    reg(w, src);
  } else {
    get(w, Local.t64);
    reg(w, src);
    w.byte(ATOMIC_ALU[aop & 0xf0] ?? Op.i64Add);
  }
  mem(w, storeOp(size));
  if ((aop & 0x01) !== 0) {
    get(w, Local.t64);
    setReg(w, src);
  }
}

/**
 * Stores r0–r5 in the scratch area for a helper: r1–r5 are its arguments,
 * and r0 stays as it was when the helper does not write it (`bpf_tail_call`
 * with nothing to run), as in the interpreter's shared register file.
 */
function spillArgs(cx: EmitContext): void {
  const w = cx.w;
  emitFlush(cx);
  for (let r = 0; r <= 5; r++) {
    gget(w, Global.scratch);
    reg(w, r);
    mem(w, Op.i64Store, r * 8);
  }
}

/** After a helper: r0 from the scratch area; with a tail call done, this frame returns it at once. */
function afterHelper(cx: EmitContext, mayTailCall: boolean): void {
  const w = cx.w;
  if (mayTailCall) {
    w.byte(Op.if).byte(Type.void);
    gget(w, Global.scratch);
    mem(w, Op.i64Load);
    setReg(w, 0);
    emitReturn(cx);
    w.byte(Op.end);
  } else {
    w.byte(Op.drop);
  }
  gget(w, Global.scratch);
  mem(w, Op.i64Load);
  setReg(w, 0);
}

/** A bpf-to-bpf call: a `call-depth` fault when the new frame would not fit, else a Wasm call. */
function emitLocalCall(cx: EmitContext, pc: number, fn: number): void {
  const w = cx.w;
  gget(w, Global.sp);
  gget(w, Global.stackLow);
  w.byte(Op.i32LtU);
  w.byte(Op.if).byte(Type.void);
  emitFaultAt(cx, FaultCode.callDepth, pc);
  w.byte(Op.end);
  if (cx.verified) {
    // Verified code keeps the count in its frame across calls (the callee adds its own at exit):
    // cheaper calls, at the price of inexact counts for faults below this frame.
    for (let r = 1; r <= 5; r++) reg(w, r);
    w.byte(Op.call).u32(fn);
    setReg(w, 0);
    return;
  }
  emitFlush(cx);
  for (let l = 0; l < 10; l++) get(w, l);
  w.byte(Op.call).u32(fn);
  for (let r = 5; r >= 0; r--) setReg(w, r);
}

/**
 * `callx`: a register holding a callback value (see {@link CALLBACK_TAG})
 * calls that subprogram; a plain 32-bit value is a helper id; anything else
 * is a `bad-jump`.
 */
function emitCallx(cx: EmitContext, pc: number): void {
  const { w, s } = cx;
  reg(w, s.dst[pc] ?? 0);
  w.byte(Op.localTee).u32(Local.t64);
  i64c(w, 32);
  w.byte(Op.i64ShrU);
  w.byte(Op.i32WrapI64);
  w.byte(Op.localTee).u32(Local.t32);
  i32c(w, CALLBACK_TAG | 0);
  w.byte(Op.i32Eq);
  w.byte(Op.if).byte(Type.void);
  w.byte(Op.block).byte(Type.void);
  for (const [entry, fn] of cx.funcIndex) {
    get(w, Local.t64);
    w.byte(Op.i32WrapI64);
    i32c(w, entry);
    w.byte(Op.i32Eq);
    w.byte(Op.if).byte(Type.void);
    emitLocalCall(cx, pc, fn);
    w.byte(Op.br).u32(1);
    w.byte(Op.end);
  }
  emitFaultAt(cx, FaultCode.badJump, pc);
  w.byte(Op.end);
  w.byte(Op.else);
  get(w, Local.t32);
  w.byte(Op.if).byte(Type.void);
  emitFaultAt(cx, FaultCode.badJump, pc);
  w.byte(Op.end);
  const site = cx.sites.length;
  cx.sites.push({ pc, kind: 'callx', id: 0 });
  spillArgs(cx);
  i32c(w, site);
  get(w, Local.t64);
  w.byte(Op.i32WrapI64);
  w.byte(Op.call).u32(Import.helperX);
  afterHelper(cx, false);
  w.byte(Op.end);
}

function emitCall(cx: EmitContext, pc: number): void {
  const { w, s } = cx;
  const code = s.code[pc] ?? 0;
  const src = s.src[pc] ?? 0;
  const imm = s.imm[pc] ?? 0;
  if ((code & BPF_X) !== 0) {
    emitCallx(cx, pc);
    return;
  }
  if (src === 1) {
    const fn = cx.funcIndex.get(pc + imm + 1);
    if (fn === undefined) {
      emitFaultAt(cx, FaultCode.badJump, pc);
      return;
    }
    emitLocalCall(cx, pc, fn);
    return;
  }
  const site = cx.sites.length;
  const name = src === 2 ? cx.kfuncs?.get(pc) : undefined;
  cx.sites.push(src === 2 ? { pc, kind: 'kfunc', id: imm, ...(name === undefined ? {} : { name }) } : { pc, kind: 'helper', id: imm });
  const tail = src === 0 && imm === BPF_FUNC_TAIL_CALL;
  spillArgs(cx);
  i32c(w, site);
  w.byte(Op.call).u32(Import.helper);
  afterHelper(cx, tail);
}

/**
 * `LD_ABS`/`LD_IND`: the import writes the big-endian value into the scratch
 * area's r0 slot and returns 1 when the bytes are outside the packet; then
 * this frame returns 0, as the kernel's rewrite does. r1–r5 read 0 afterwards
 * (the kernel's helper call clobbers them).
 */
function emitLdAbs(cx: EmitContext, pc: number): void {
  const { w, s } = cx;
  const code = s.code[pc] ?? 0;
  const size = SIZE_BYTES[(code >> 3) & 3] ?? 4;
  i32c(w, s.imm[pc] ?? 0);
  if ((code & 0xe0) === 0x40) {
    reg(w, s.src[pc] ?? 0);
    w.byte(Op.i32WrapI64);
    w.byte(Op.i32Add);
  }
  i32c(w, size);
  i32c(w, pc);
  w.byte(Op.call).u32(Import.loadSkb);
  for (let r = 1; r <= 5; r++) {
    i64c(w, 0);
    setReg(w, r);
  }
  w.byte(Op.if).byte(Type.void);
  i64c(w, 0);
  setReg(w, 0);
  emitReturn(cx);
  w.byte(Op.end);
  gget(w, Global.scratch);
  mem(w, Op.i64Load32U);
  setReg(w, 0);
}

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
