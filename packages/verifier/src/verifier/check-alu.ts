import type { Insn } from '@bpfkit/asm';
import { ADD, ALU_OP_NAMES, AND, ARSH, DIV, END, foldConst, LSH, MOD, MOV, NEG, OR, RSH, SUB, XOR } from './alu.js';
import { boundsSync, coerceToSize, coerceToSizeSx, copyBounds, knownBounds, mark32Unbounded, S64_MAX, S64_MIN, zext32To64, type Bounds } from './bounds.js';
import { checkAddrSpaceCast, isAddrSpaceCast, markNeedsZext, CAST_KERN } from './arena.js';
import type { VerifierEnv } from './env.js';
import { op, srcX } from './insns.js';
import { fail } from './log.js';
import { markChainPrecision } from './precision.js';
import { adjustScalarMinMaxVals } from './scalar-alu.js';
import { constScalar, isPointer, NOT_NULL, regConst, regTypeStr, scalarOf, unknownScalar, unlinked, type RegState, type VState } from './state.js';
import { MAX_BPF_STACK } from './stack.js';
import { tnumAdd, tnumIsConst, tnumStr, tnumSub, U64_MAX } from './tnum.js';

/** `BPF_MAX_VAR_OFF`: the largest offset a pointer may be moved by. */
const MAX_VAR_OFF = 1 << 29;

/** `check_alu_op`: operand checks, then scalar or pointer arithmetic. */
export function checkAluOp(env: VerifierEnv, state: VState, insn: Insn, is64: boolean): void {
  const o = op(insn.code);
  if (o > END) fail(env.log, 'EINVAL', 'bad-alu-op', `invalid BPF_ALU opcode ${o.toString(16)}`);
  const d = insn.dst;
  if (o === NEG || o === END) {
    const dst = env.readReg(state, d);
    if (isPointer(dst)) {
      if (!env.privileges.allowPtrLeaks) fail(env.log, 'EACCES', 'ptr-arith', `R${String(d)} pointer arithmetic prohibited`);
      env.writeReg(state, d, unknownScalar);
      return;
    }
    if (o === NEG) {
      env.writeReg(state, d, scalarOf(adjustScalarMinMaxVals(dst, dst, NEG, !is64)));
      return;
    }
    env.writeReg(state, d, byteSwap(dst, insn.imm, is64 || srcX(insn.code), is64));
    return;
  }
  const useX = srcX(insn.code);
  if (isAddrSpaceCast(insn)) {
    checkAddrSpaceCast(env, insn);
    env.readReg(state, insn.src);
    // cast_kern gives an arena pointer (32-bit: only its low half is used); cast_user a plain value.
    env.writeReg(state, d, insn.imm === CAST_KERN ? { ...unknownScalar, type: 'arena' } : unknownScalar);
    return;
  }
  const src = useX ? env.readReg(state, insn.src) : constScalar(BigInt(insn.imm));
  if (!useX && (o === DIV || o === MOD) && insn.imm === 0) fail(env.log, 'EINVAL', 'div-by-zero', 'div by zero');
  if (!useX && (o === LSH || o === RSH || o === ARSH) && (insn.imm < 0 || insn.imm >= (is64 ? 64 : 32))) {
    fail(env.log, 'EINVAL', 'bad-shift', `invalid shift ${String(insn.imm)}`);
  }
  if (o === MOV) {
    checkMov(env, state, insn, src, is64);
    return;
  }
  const dst = env.readReg(state, d);
  if (dst.type === 'arena' || src.type === 'arena') {
    // Any arithmetic is allowed on arena pointers; a 64-bit operation is run as a 32-bit one.
    if (is64) markNeedsZext(env);
    env.writeReg(state, d, dst.type === 'arena' ? dst : src);
    return;
  }
  if (isPointer(dst) && isPointer(src)) {
    if (o === SUB && env.privileges.allowPtrLeaks) { env.writeReg(state, d, unknownScalar); return; }
    fail(env.log, 'EACCES', 'ptr-arith', `R${String(d)} pointer ${ALU_OP_NAMES[o] ?? '?'} pointer prohibited`);
  }
  if (isPointer(dst) || isPointer(src)) {
    // The scalar moves the pointer: its value decides what the pointer may access.
    if (useX) markChainPrecision(env, state, isPointer(src) ? d : insn.src);
    adjustPtrMinMaxVals(env, state, insn, o, dst, src, is64, isPointer(src));
    return;
  }
  const res = scalarOf(adjustScalarMinMaxVals(dst, src, o, !is64));
  // `rX += rX` is no constant added to rX, whatever rX is: the result is unlinked.
  env.writeReg(state, d, useX && insn.src === d ? res : linkAddConst(env, res, dst, src, o, is64));
}

/**
 * `rX += const` keeps rX linked to its copies with the constant remembered (`BPF_ADD_CONST`),
 * so a later branch on either bounds both; any other ALU result starts unlinked.
 */
function linkAddConst(env: VerifierEnv, res: RegState, dst: RegState, src: RegState, o: number, is64: boolean): RegState {
  const k = regConst(src, !is64);
  if (!env.privileges.bpfCapable || (o !== ADD && o !== SUB) || dst.id === 0 || k === undefined || dst.linkedConst === true) return res;
  // 64-bit: the constant must fit in s32; 32-bit (`BPF_ADD_CONST32`): any, taken as s32, on a value that fits in 32 bits.
  const val = is64 ? BigInt.asIntN(64, k) : BigInt.asIntN(32, k);
  if (is64 && (val < -(1n << 31n) || val > (1n << 31n) - 1n)) return res;
  if (!is64 && dst.umax > 0xffffffffn) return res;
  if (o === SUB && val === -(1n << 31n)) return res;
  const off = Number(o === SUB ? -val : val);
  return is64 ? { ...res, id: dst.id, off, linkedConst: true } : { ...res, id: dst.id, off, linkedConst: true, linkedConst32: true };
}

/** BPF_END: byte swaps of a known value are folded; otherwise the width bounds the result. */
function byteSwap(dst: RegState, width: number, toBe: boolean, is64: boolean): RegState {
  const k = regConst(dst);
  if (k !== undefined) return constScalar(foldConst(END, k, 0n, true, false, width, toBe && !is64 ? true : toBe));
  if (width >= 64) return unknownScalar;
  const b = copyBounds(unknownScalar);
  coerceToSize(b, width / 8);
  return scalarOf(b);
}

/**
 * `assign_scalar_id_before_mov`: the source of `rX = rY` gets an id the copy shares. A source
 * that is `rZ + const` of another register first leaves that link (a fresh id), so that
 * `rX += imm` later does not move the constant of the link it came from.
 */
export function assignScalarIdBeforeMov(env: VerifierEnv, state: VState, regno: number, src: RegState): RegState {
  let s = src;
  if (s.linkedConst === true) s = unlinked(s);
  if (s.id === 0 && !tnumIsConst(s.varOff)) s = { ...s, id: env.nextId++ };
  if (s !== src) env.frame(state).regs[regno] = s;
  return s;
}

/** BPF_MOV (and MOVSX): copies keep the scalar id so that later branches bound both copies. */
function checkMov(env: VerifierEnv, state: VState, insn: Insn, src: RegState, is64: boolean): void {
  const d = insn.dst;
  if (isPointer(src)) {
    if (!is64) {
      if (!env.privileges.allowPtrLeaks) fail(env.log, 'EACCES', 'partial-ptr-copy', `R${String(insn.src)} partial copy of pointer`);
      // An arena pointer is 32-bit: its subregister copy is one too.
      if (src.type === 'arena') { env.writeReg(state, d, { ...unknownScalar, type: 'arena' }); return; }
      const b = copyBounds(unknownScalar);
      coerceToSize(b, 4);
      env.writeReg(state, d, scalarOf(b));
      return;
    }
    if (insn.off !== 0) {
      if (!env.privileges.allowPtrLeaks) fail(env.log, 'EACCES', 'partial-ptr-copy', `R${String(insn.src)} sign-extension mov of pointer`);
      env.writeReg(state, d, unknownScalar);
      return;
    }
    env.writeReg(state, d, src);
    return;
  }
  if (insn.off !== 0) {
    // A value the sign extension cannot change stays linked to its source.
    const noSext = src.umax < 1n << BigInt(insn.off - 1);
    const s = noSext ? assignScalarIdBeforeMov(env, state, insn.src, src) : src;
    const b = copyBounds(s);
    coerceToSizeSx(b, insn.off / 8, !is64);
    env.writeReg(state, d, { ...scalarOf(b), id: noSext ? s.id : 0 });
    return;
  }
  if (!srcX(insn.code)) {
    env.writeReg(state, d, constScalar(is64 ? BigInt(insn.imm) : BigInt(insn.imm >>> 0)));
    return;
  }
  if (is64) {
    const s = assignScalarIdBeforeMov(env, state, insn.src, src);
    env.writeReg(state, d, s);
    return;
  }
  // ALU32 copy: the subregister is kept, the upper half zeroed; the copy stays linked if the value fits in 32 bits.
  const fits = src.umax <= 0xffffffffn;
  const s = fits ? assignScalarIdBeforeMov(env, state, insn.src, src) : src;
  const b = copyBounds(s);
  zext32To64(b);
  boundsSync(b);
  env.writeReg(state, d, { ...scalarOf(b), id: fits ? s.id : 0 });
}

/** `check_reg_sane_offset`. */
function checkRegSaneOffset(env: VerifierEnv, reg: Bounds & { off: number }, ptr: RegState): void {
  if (saneOffset(reg)) return;
  const type = regTypeStr(ptr);
  const k = tnumIsConst(reg.varOff) ? BigInt.asIntN(64, reg.varOff.value) : undefined;
  const lim = BigInt(MAX_VAR_OFF);
  if (k !== undefined && (k >= lim || k <= -lim)) fail(env.log, 'EINVAL', 'ptr-offset', `math between ${type} pointer and ${k.toString()} is not allowed`);
  if (reg.off >= MAX_VAR_OFF || reg.off <= -MAX_VAR_OFF) fail(env.log, 'EINVAL', 'ptr-offset', `${type} pointer offset ${String(reg.off)} is not allowed`);
  if (reg.smin === S64_MIN) {
    fail(env.log, 'EINVAL', 'ptr-offset', `math between ${type} pointer and register with unbounded min value is not allowed`);
  }
  if (reg.smin >= lim || reg.smin <= -lim) fail(env.log, 'EINVAL', 'ptr-offset', `value ${reg.smin.toString()} makes ${type} pointer be out of bounds`);
}

const VAR_OFF_LIMIT = BigInt(MAX_VAR_OFF);

/** The common case of `check_reg_sane_offset` without building a message: every bound within the limit. */
function saneOffset(reg: Bounds & { off: number }): boolean {
  const v = reg.varOff;
  if (v.mask === 0n && v.value >= VAR_OFF_LIMIT) {
    const k = BigInt.asIntN(64, v.value);
    if (k >= VAR_OFF_LIMIT || k <= -VAR_OFF_LIMIT) return false;
  }
  return reg.off < MAX_VAR_OFF && reg.off > -MAX_VAR_OFF && reg.smin > -VAR_OFF_LIMIT && reg.smin < VAR_OFF_LIMIT;
}

const inS64 = (v: bigint): boolean => v === BigInt.asIntN(64, v);
const inS32 = (v: bigint): boolean => v === BigInt.asIntN(32, v);

/** Pointer types that arithmetic may move (`map_ptr` only by a known zero). */
const ARITH_PTR_TYPES: ReadonlySet<string> = new Set(['ctx', 'map_value', 'fp', 'pkt', 'pkt_meta', 'ringbuf_mem', 'mem', 'map_key', 'func', 'ptr_', 'tp_buffer', 'dynptr_ptr']);

/** `adjust_ptr_min_max_vals`: pointer +/- scalar moves the fixed offset (known) or the variable offset. */
function adjustPtrMinMaxVals(env: VerifierEnv, state: VState, insn: Insn, o: number, dst: RegState, src: RegState, is64: boolean,
  srcIsPtr: boolean): void {
  const d = insn.dst;
  const ptr = srcIsPtr ? src : dst;
  const offReg = srcIsPtr ? dst : src;
  if (!is64) {
    if (o === SUB && env.privileges.allowPtrLeaks) { env.writeReg(state, d, unknownScalar); return; }
    fail(env.log, 'EACCES', 'ptr-arith-32', `R${String(d)} 32-bit pointer arithmetic prohibited`);
  }
  if (NOT_NULL[ptr.type] !== undefined) {
    fail(env.log, 'EACCES', 'ptr-arith-or-null', `R${String(d)} pointer arithmetic on ${regTypeStr(ptr)} prohibited, null-check it first`);
  }
  const known = tnumIsConst(offReg.varOff);
  const sminVal = offReg.smin;
  const allowed = ARITH_PTR_TYPES.has(ptr.type) || (ptr.type === 'flow_keys' && known) ||
    (ptr.type === 'map_ptr' && known && sminVal === 0n && o === ADD);
  if (!allowed) fail(env.log, 'EACCES', 'ptr-arith', `R${String(d)} pointer arithmetic on ${regTypeStr(ptr)} prohibited`);
  checkRegSaneOffset(env, offReg, ptr);
  checkRegSaneOffset(env, ptr, ptr);
  let res: RegState;
  const isPkt = ptr.type === 'pkt' || ptr.type === 'pkt_meta';
  if (o === ADD) {
    const fixed = BigInt(ptr.off) + sminVal;
    if (known && inS32(fixed)) {
      res = { ...ptr, off: Number(fixed) };
    } else {
      const b = copyBounds(ptr);
      const smin = ptr.smin + offReg.smin, smax = ptr.smax + offReg.smax;
      [b.smin, b.smax] = inS64(smin) && inS64(smax) ? [smin, smax] : [S64_MIN, S64_MAX];
      const umin = ptr.umin + offReg.umin, umax = ptr.umax + offReg.umax;
      [b.umin, b.umax] = umin <= U64_MAX && umax <= U64_MAX ? [umin, umax] : [0n, U64_MAX];
      b.varOff = tnumAdd(ptr.varOff, offReg.varOff);
      res = { ...ptr, ...b };
      if (isPkt) res = { ...res, id: env.nextId++, range: 0 };
    }
  } else if (o === SUB) {
    if (srcIsPtr) fail(env.log, 'EACCES', 'ptr-arith', `R${String(d)} tried to subtract pointer from scalar`);
    if (ptr.type === 'fp') fail(env.log, 'EACCES', 'ptr-arith', `R${String(d)} subtraction from stack pointer prohibited`);
    const fixed = BigInt(ptr.off) - sminVal;
    if (known && inS32(fixed)) {
      res = { ...ptr, off: Number(fixed) };
    } else {
      const b = copyBounds(ptr);
      const smin = ptr.smin - offReg.smax, smax = ptr.smax - offReg.smin;
      [b.smin, b.smax] = inS64(smin) && inS64(smax) ? [smin, smax] : [S64_MIN, S64_MAX];
      [b.umin, b.umax] = ptr.umin < offReg.umax ? [0n, U64_MAX] : [ptr.umin - offReg.umax, ptr.umax - offReg.umin];
      b.varOff = tnumSub(ptr.varOff, offReg.varOff);
      res = { ...ptr, ...b };
      if (isPkt) res = { ...res, id: env.nextId++, ...(offReg.smin < 0n ? { range: 0 } : {}) };
    }
  } else if (o === AND || o === OR || o === XOR) {
    return fail(env.log, 'EACCES', 'ptr-arith', `R${String(d)} bitwise operator ${ALU_OP_NAMES[o] ?? '?'} on pointer prohibited`);
  } else {
    return fail(env.log, 'EACCES', 'ptr-arith', `R${String(d)} pointer arithmetic with ${ALU_OP_NAMES[o] ?? '?'} operator prohibited`);
  }
  // `__mark_reg32_unbounded` then `reg_bounds_sync`, on the result (a new register) in place.
  const out = res;
  mark32Unbounded(out);
  checkRegSaneOffset(env, out, ptr);
  boundsSync(out);
  if (!env.privileges.bypassSpecV1) sanitizeCheckBounds(env, d, out);
  env.writeReg(state, d, out);
}

/** `sanitize_check_bounds`: without Spectre v1 bypass, stack and map value pointers stay in range. */
function sanitizeCheckBounds(env: VerifierEnv, regno: number, reg: RegState): void {
  const r = `R${String(regno)}`;
  if (reg.type === 'fp') {
    if (!tnumIsConst(reg.varOff)) {
      fail(env.log, 'EACCES', 'ptr-arith-unpriv', `${r} variable stack access prohibited for !root, var_off=${tnumStr(reg.varOff)} off=${String(reg.off)}`);
    }
    const off = reg.off + Number(BigInt.asIntN(64, reg.varOff.value));
    if (off >= 0 || off < -MAX_BPF_STACK) {
      fail(env.log, 'EACCES', 'ptr-arith-unpriv', `${r} stack pointer arithmetic goes out of range, prohibited for !root; off=${String(off)}`);
    }
  } else if (reg.type === 'map_value') {
    const vs = BigInt(reg.valueSize ?? 0), off = BigInt(reg.off);
    if (reg.smin + off < 0n || reg.umax + off + 1n > vs) {
      fail(env.log, 'EACCES', 'ptr-arith-unpriv', `${r} pointer arithmetic of map value goes out of range, prohibited for !root`);
    }
  }
}

export { knownBounds };
