import { formatLogInsn, type Insn } from '@bpfkit/asm';
import type { ProgTypeDescriptor, VerifierRequest } from '@bpfkit/kernel-api';
import { checkAluOp } from './check-alu.js';
import { checkFuncCall, checkHelperCall } from './check-call.js';
import { processExit } from './check-exit.js';
import { checkCondJmpOp } from './check-jmp.js';
import { checkLd } from './check-ld.js';
import { checkLdx, checkStore } from './check-mem.js';
import { VerifierEnv } from './env.js';
import { ALU, ALU64, CALL, cls, EXIT, JA, JMP, JMP32, jumpTarget, LD, LDX, op, PSEUDO_CALL, ST, STX } from './insns.js';
import { fail, type VerifierLog } from './log.js';
import { formatReg, notInit, pointer, type RegState, type VState } from './state.js';

/** `BPF_COMPLEXITY_LIMIT_INSNS`. */
export const COMPLEXITY_LIMIT_INSNS = 1_000_000;

export interface CheckResult { insnProcessed: number; stackDepth: number }

/** `do_check`: walks every path of the program, one instruction at a time, on abstract register and stack states. */
export class Checker {
  private readonly env: VerifierEnv;

  constructor(log: VerifierLog, insns: readonly Insn[], req: VerifierRequest, progType: ProgTypeDescriptor | undefined, subprogs: readonly number[]) {
    this.env = new VerifierEnv(log, insns, req, progType, subprogs);
  }

  /** `env->insn_processed`. */
  get processed(): number {
    return this.env.insnProcessed;
  }

  run(): CheckResult {
    const env = this.env;
    const log = env.log;
    const regs: RegState[] = Array.from({ length: 11 }, () => notInit);
    regs[1] = pointer('ctx', 0);
    regs[10] = pointer('fp', 0, { frame: 0 });
    let state: VState = { frames: [{ regs, stack: [], returnTo: -1, subprog: 0 }] };
    let pc = 0;
    let printState = true;
    let from = -1;
    for (;;) {
      if (++env.insnProcessed > COMPLEXITY_LIMIT_INSNS) {
        fail(log, 'E2BIG', 'too-many-insns', `BPF program is too large. Processed ${String(env.insnProcessed)} insn`);
      }
      const insn = env.insns[pc];
      if (insn === undefined) fail(log, 'EINVAL', 'fall-off', `invalid insn idx ${String(pc)} insn_cnt ${String(env.insns.length)}`);
      if (printState && log.verbose) {
        const full = this.stateText(state, true);
        if (log.level2 && from >= 0) log.line(`\nfrom ${String(from)} to ${String(pc)}:${full}`);
        else log.line(`${String(pc)}:${full}`);
      }
      printState = false;
      const insnText = `${String(pc)}: ${formatLogInsn(insn, { allowPtrLeaks: env.privileges.allowPtrLeaks })}`;
      log.line(insnText);
      const afterInsn = log.pos;
      env.scratched.clear();
      env.scratchedStack.clear();
      const next = this.step(state, insn, pc);
      if (next !== 'exit' && log.verbose && log.pos === afterInsn) {
        const delta = this.stateText(state, false);
        if (delta !== '') {
          log.reset(afterInsn - 1);
          const width = Math.ceil(Math.max(insnText.length + 4, 40) / 8) * 8 - insnText.length - 2;
          log.line(`${' '.repeat(width)};${delta}`);
        }
      }
      if (next === 'exit') {
        const popped = env.pending.pop();
        if (popped === undefined) break;
        if (!log.level2) log.reset(popped.logPos);
        state = popped.state;
        pc = popped.pc;
        from = popped.from;
        printState = true;
        continue;
      }
      pc = next;
    }
    return { insnProcessed: env.insnProcessed, stackDepth: env.maxStack };
  }

  /** `print_verifier_state`: all live registers and slots, or only the scratched ones. */
  private stateText(state: VState, full: boolean): string {
    const env = this.env;
    const f = env.frame(state);
    const parts: string[] = [];
    f.regs.forEach((r, i) => {
      if (r.type === 'not_init') return;
      if (full || env.scratched.has(i)) parts.push(`R${String(i)}=${formatReg(r)}`);
    });
    f.stack.forEach((slot, i) => {
      if (!(full || env.scratchedStack.has(i))) return;
      if (slot.bytes.every((b) => b === 'invalid')) return;
      const name = `fp-${String((i + 1) * 8)}`;
      if (slot.spilled !== undefined && slot.bytes.every((b) => b === 'spill')) parts.push(`${name}=${formatReg(slot.spilled)}`);
      else parts.push(`${name}=${slot.bytes.map((b) => ({ invalid: '?', misc: 'm', zero: '0', spill: 'r' })[b]).reverse().join('')}`);
    });
    return parts.length === 0 ? '' : ` ${parts.join(' ')}`;
  }

  /** One instruction, by class. Returns the next pc, or 'exit' when the path ends. */
  private step(state: VState, insn: Insn, pc: number): number | 'exit' {
    const env = this.env;
    const c = cls(insn.code);
    env.checkRegNo(insn.dst);
    env.checkRegNo(insn.src);
    switch (c) {
      case ALU:
      case ALU64:
        checkAluOp(env, state, insn, c === ALU64);
        return pc + 1;
      case LDX:
        checkLdx(env, state, insn);
        return pc + 1;
      case STX:
      case ST:
        checkStore(env, state, insn, c === ST, pc);
        return pc + 1;
      case LD:
        return checkLd(env, state, insn, pc);
      case JMP:
      case JMP32: {
        const o = op(insn.code);
        if (o === EXIT) return processExit(env, state);
        if (o === CALL) {
          if (insn.src === PSEUDO_CALL) return checkFuncCall(env, state, insn, pc);
          checkHelperCall(env, state, insn);
          return pc + 1;
        }
        if (o === JA) return jumpTarget(insn, pc);
        return checkCondJmpOp(env, state, insn, pc, c === JMP32);
      }
      default:
        return fail(env.log, 'EINVAL', 'unknown-opcode', `unknown opcode ${insn.code.toString(16).padStart(2, '0')}`);
    }
  }
}
