import { ARENA_GUARD_BYTES } from '@bpfkit/kernel-api';
import type { EmitContext } from './emitContext.js';
import { get, gget, i32c, i64c, mem, reg, set, setReg } from './emitBasics.js';
import { Global, Import, Local } from './layout.js';
import { Op, Type } from './wasmOpcodes.js';

/**
 * Pushes the i32 address of an access of `size` bytes at `r + off`, after the
 * check the image needs: verified code gets one unsigned compare against the
 * arena's end (r10-based accesses none: the verifier bounded them to the
 * frame), unverified code asks the arena whether one allocation holds it.
 */
export function emitAddr(cx: EmitContext, r: number, off: number, size: number, pc: number): void {
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
    w.byte(Op.call).u32(Import.check);
    // A refused access takes the same shared fault path as the verified check (which flushes the count).
    w.byte(Op.if).byte(Type.void);
    i32c(w, (pc << 4) | size);
    set(w, Local.fpc);
    w.byte(Op.br).u32(cx.depth + 1);
    w.byte(Op.end);
  }
  get(w, Local.ea);
  w.byte(Op.i32WrapI64);
}

/**
 * `BPF_PROBE_MEM` / `BPF_PROBE_MEMSX` (verified code only): the load of `size` bytes at `r + off`,
 * or 0 where the arena has nothing (the kernel's exception table makes a faulting probe read 0).
 */
export function emitProbeLoad(cx: EmitContext, r: number, off: number, size: number, signed: boolean): void {
  const w = cx.w;
  reg(w, r);
  if (off !== 0) {
    i64c(w, off);
    w.byte(Op.i64Add);
  }
  w.byte(Op.localTee).u32(Local.ea);
  i64c(w, ARENA_GUARD_BYTES);
  w.byte(Op.i64Sub);
  gget(w, size === 1 ? Global.lim1 : size === 2 ? Global.lim2 : size === 4 ? Global.lim4 : Global.lim8);
  w.byte(Op.i64LeU);
  w.byte(Op.if).byte(Type.i64);
  get(w, Local.ea);
  w.byte(Op.i32WrapI64);
  mem(w, loadOp(size, signed));
  w.byte(Op.else);
  i64c(w, 0);
  w.byte(Op.end);
}

/** The Wasm load of `size` bytes into an i64, sign- or zero-extending. */
export function loadOp(size: number, signed: boolean): number {
  if (size === 1) return signed ? Op.i64Load8S : Op.i64Load8U;
  if (size === 2) return signed ? Op.i64Load16S : Op.i64Load16U;
  if (size === 4) return signed ? Op.i64Load32S : Op.i64Load32U;
  return Op.i64Load;
}
/** The Wasm store of the low `size` bytes of an i64. */
export function storeOp(size: number): number {
  if (size === 1) return Op.i64Store8;
  if (size === 2) return Op.i64Store16;
  if (size === 4) return Op.i64Store32;
  return Op.i64Store;
}


const ATOMIC_ALU: Readonly<Record<number, number>> = { 0x00: Op.i64Add, 0x40: Op.i64Or, 0x50: Op.i64And, 0xa0: Op.i64Xor };

/**
 * `BPF_STX | BPF_ATOMIC`: add/or/and/xor (with FETCH), xchg, cmpxchg,
 * load-acquire and store-release, as a load, the operation and a store.
 *
 * @example
 * emitAtomic(cx, pc, 8); // lock *(u64 *)(r10 - 8) += r1
 */
export function emitAtomic(cx: EmitContext, pc: number, size: number): void {
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

