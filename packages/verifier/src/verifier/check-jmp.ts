import type { Insn } from '@bpfkit/asm';
import type { VerifierEnv } from './env.js';
import { jumpTarget, op, srcX } from './insns.js';
import { fail } from './log.js';
import { cloneState, constScalar, isPointer, type RegState, type VState } from './state.js';

/** `check_cond_jmp_op`: decides dead branches, splits the state on null checks, queues the other way. Returns the next pc. */
export function checkCondJmpOp(env: VerifierEnv, state: VState, insn: Insn, pc: number, is32: boolean): number {
  const o = op(insn.code);
  if (o === 0xe0 || o === 0xf0) fail(env.log, 'EINVAL', 'unknown-opcode', `unknown opcode ${insn.code.toString(16).padStart(2, '0')}`);
  const dst = env.readReg(state, insn.dst);
  const src = srcX(insn.code) ? env.readReg(state, insn.src) : constScalar(BigInt(insn.imm));
  const target = jumpTarget(insn, pc);
  const nullCheck = (o === 0x10 || o === 0x50) && !isPointer(src) && src.value === 0n &&
    (dst.type === 'map_value_or_null' || dst.type === 'ringbuf_mem_or_null');
  if (!nullCheck && (isPointer(dst) || isPointer(src)) && !env.privileges.allowPtrLeaks) {
    fail(env.log, 'EACCES', 'ptr-compare', `R${String(insn.dst)} pointer comparison prohibited`);
  }
  const taken = nullCheck ? undefined : isBranchTaken(o, dst, src, is32);
  if (taken === true) return target;
  if (taken === false) return pc + 1;
  const other = cloneState(state);
  if (nullCheck) {
    const id = dst.id;
    const isNull = (s: VState, yes: boolean): void => {
      for (const f of s.frames) {
        f.regs = f.regs.map((r) => (r.id === id && (r.type === 'map_value_or_null' || r.type === 'ringbuf_mem_or_null')
          ? (yes ? constScalar(0n) : { ...r, type: r.type === 'map_value_or_null' ? 'map_value' : 'ringbuf_mem' })
          : r));
      }
    };
    // JEQ 0: the jump is taken when null; JNE 0: when not null.
    isNull(other, o === 0x10);
    isNull(state, o !== 0x10);
  }
  env.pending.push({ state: other, pc: target, from: pc, logPos: env.log.pos });
  return pc + 1;
}

/** `is_branch_taken` for constants: true/false when decided, undefined when both ways are possible. */
function isBranchTaken(o: number, dst: RegState, src: RegState, is32: boolean): boolean | undefined {
  if (dst.value === undefined || src.value === undefined || isPointer(dst) || isPointer(src)) return undefined;
  const bits = is32 ? 32 : 64;
  const a = BigInt.asUintN(bits, dst.value), b = BigInt.asUintN(bits, src.value);
  const sa = BigInt.asIntN(bits, a), sb = BigInt.asIntN(bits, b);
  switch (o) {
    case 0x10: return a === b;
    case 0x50: return a !== b;
    case 0x20: return a > b;
    case 0x30: return a >= b;
    case 0xa0: return a < b;
    case 0xb0: return a <= b;
    case 0x40: return (a & b) !== 0n;
    case 0x60: return sa > sb;
    case 0x70: return sa >= sb;
    case 0xc0: return sa < sb;
    case 0xd0: return sa <= sb;
    default: return undefined;
  }
}
