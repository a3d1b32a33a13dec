import type { EmitContext } from './emitContext.js';
import { get, gget, gset, i32c, i64c, reg, set } from './emitBasics.js';
import { BPF_MAX_LOOPS, FaultCode, FRAME_BYTES, Global, Import, Local } from './layout.js';
import { Op, Type } from './wasmOpcodes.js';
import type { WasmWriter } from './wasmWriter.js';

// What every subprogram has around its instructions: frame entry and exit, the
// instruction count, and the ways out to a fault.

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
  // Callees leave sp as they found it (and runs inside a run restore it), so sp is this frame's r10:
  // no local has to hold it live across the whole function.
  gget(w, Global.sp);
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
  w.byte(Op.localTee).u32(Local.t32);
  gset(w, Global.sp);
  get(w, Local.t32);
  w.byte(Op.i64ExtendI32U);
  set(w, Local.r10);
}

