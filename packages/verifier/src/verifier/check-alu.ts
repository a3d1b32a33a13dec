import type { Insn } from '@bpfkit/asm';
import { ADD, ALU_OP_NAMES, ARSH, DIV, END, LSH, MOD, MOV, NEG, RSH, scalarAlu, SUB } from './alu.js';
import type { VerifierEnv } from './env.js';
import { op, srcX } from './insns.js';
import { fail } from './log.js';
import { constScalar, isPointer, regTypeStr, unknownScalar, type RegState, type VState } from './state.js';

/** `check_alu_op`: operand checks, then scalar or pointer arithmetic. */
export function checkAluOp(env: VerifierEnv, state: VState, insn: Insn, is64: boolean): void {
  const o = op(insn.code);
  if (o > END) fail(env.log, 'EINVAL', 'bad-alu-op', `invalid BPF_ALU opcode ${o.toString(16)}`);
  const useX = srcX(insn.code) && o !== NEG && o !== END;
  if (o === NEG || o === END) {
    const dst = env.readReg(state, insn.dst);
    if (isPointer(dst)) fail(env.log, 'EACCES', 'ptr-arith', `R${String(insn.dst)} pointer arithmetic with ${ALU_OP_NAMES[o] ?? '?'} operator prohibited`);
    env.writeReg(state, insn.dst, scalarAlu(o, dst, constScalar(0n), is64 || o === END, false, insn.imm, srcX(insn.code)));
    return;
  }
  const src = useX ? env.readReg(state, insn.src) : constScalar(BigInt(insn.imm));
  if (!useX && (o === DIV || o === MOD) && insn.imm === 0) fail(env.log, 'EINVAL', 'div-by-zero', 'division by zero');
  if (!useX && (o === LSH || o === RSH || o === ARSH) && (insn.imm < 0 || insn.imm >= (is64 ? 64 : 32))) {
    fail(env.log, 'EINVAL', 'bad-shift', `invalid shift ${String(insn.imm)}`);
  }
  if (o === MOV) {
    if (isPointer(src)) {
      if (!is64) {
        if (!env.privileges.allowPtrLeaks) fail(env.log, 'EACCES', 'partial-ptr-copy', `R${String(insn.src)} partial copy of pointer`);
        env.writeReg(state, insn.dst, { type: 'scalar', off: 0, umin: 0n, umax: 0xffffffffn });
        return;
      }
      env.writeReg(state, insn.dst, src);
      return;
    }
    let v = src;
    if (insn.off !== 0 && v.value !== undefined) v = constScalar(BigInt.asIntN(insn.off, v.value));
    env.writeReg(state, insn.dst, scalarAlu(MOV, unknownScalar, v, is64, false, 0, false));
    return;
  }
  const dst = env.readReg(state, insn.dst);
  if (isPointer(dst) || isPointer(src)) {
    adjustPtrMinMaxVals(env, state, insn, o, dst, src, is64);
    return;
  }
  env.writeReg(state, insn.dst, scalarAlu(o, dst, src, is64, insn.off === 1, insn.imm, false));
}

/** `adjust_ptr_min_max_vals`, constant offsets only in this first part. */
function adjustPtrMinMaxVals(env: VerifierEnv, state: VState, insn: Insn, o: number, dst: RegState, src: RegState, is64: boolean): void {
  const d = insn.dst;
  if (!is64) fail(env.log, 'EACCES', 'ptr-arith-32', `R${String(d)} 32-bit pointer arithmetic prohibited`);
  if (isPointer(dst) && isPointer(src)) {
    if (o === SUB && env.privileges.allowPtrLeaks) { env.writeReg(state, d, unknownScalar); return; }
    fail(env.log, 'EACCES', 'ptr-arith', `R${String(d)} pointer ${ALU_OP_NAMES[o] ?? '?'} pointer prohibited`);
  }
  const ptr = isPointer(dst) ? dst : src;
  const scalar = isPointer(dst) ? src : dst;
  if (o !== ADD && !(o === SUB && isPointer(dst))) {
    fail(env.log, 'EACCES', 'ptr-arith', `R${String(d)} pointer arithmetic with ${ALU_OP_NAMES[o] ?? '?'} operator prohibited`);
  }
  if (ptr.type === 'map_value_or_null' || ptr.type === 'ringbuf_mem_or_null') {
    fail(env.log, 'EACCES', 'ptr-arith-or-null', `R${String(d)} pointer arithmetic on ${regTypeStr(ptr)} prohibited, null-check it first`);
  }
  if (ptr.type === 'map_ptr') fail(env.log, 'EACCES', 'ptr-arith', `R${String(d)} pointer arithmetic on map_ptr prohibited`);
  if (scalar.value === undefined) {
    fail(env.log, 'EACCES', 'unsupported', `R${String(d)} variable offset pointer arithmetic is not modelled yet`);
  }
  const delta = Number(BigInt.asIntN(64, scalar.value));
  env.writeReg(state, d, { ...ptr, off: o === SUB ? ptr.off - delta : ptr.off + delta });
}
