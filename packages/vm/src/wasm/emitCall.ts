import { CALLBACK_TAG } from '../program/callback.js';
import type { EmitContext } from './emitContext.js';
import { get, gget, i32c, i64c, mem, reg, setReg } from './emitBasics.js';
import { emitFaultAt, emitFlush, emitReturn } from './emitFrame.js';
import { FaultCode, Global, Import, Local } from './layout.js';
import { Op, Type } from './wasmOpcodes.js';

const BPF_X = 0x08;
const SIZE_BYTES = [4, 2, 1, 8] as const;
/** The `tail_call` helper: the only one after which the caller may have to return at once. */
const BPF_FUNC_TAIL_CALL = 12;

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

/**
 * `call`: a helper (`src_reg` 0), a bpf-to-bpf call (1), a kfunc (2), or `callx`.
 *
 * @example
 * emitCall(cx, pc); // call 1 → r0–r5 to the scratch area, env.helper(site), r0 back
 */
export function emitCall(cx: EmitContext, pc: number): void {
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
export function emitLdAbs(cx: EmitContext, pc: number): void {
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

