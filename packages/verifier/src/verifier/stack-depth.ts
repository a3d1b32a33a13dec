import type { VerifierEnv } from './env.js';
import { CALL, isPseudoFunc, JMP, PSEUDO_CALL } from './insns.js';
import { fail } from './log.js';
import { MAX_BPF_STACK } from './stack.js';

const MAX_CALL_FRAMES = 8;
/** Callers' stack a subprogram that tail-calls may sit on: 33 chained tail calls then stay within 8 KiB. */
const MAX_TAIL_CALL_CALLER_STACK = 256;
const BPF_FUNC_TAIL_CALL = 12;

/** `round_up_stack_depth` with the JIT: frames are 16-byte aligned. */
const roundUp = (depth: number): number => Math.ceil(depth / 16) * 16;

/**
 * `check_max_stack_depth`: along every chain of bpf-to-bpf calls, the frames together fit in
 * MAX_BPF_STACK and there are at most MAX_CALL_FRAMES of them. A tail call unwinds only its own
 * frame, so a subprogram that tail-calls may sit on at most 256 bytes of its callers' stack.
 */
export function checkMaxStackDepth(env: VerifierEnv): void {
  const subprogs = env.subprogs;
  const bounds = (idx: number): [number, number] => [subprogs[idx] ?? 0, subprogs[idx + 1] ?? env.insns.length];
  const callees = (idx: number): number[] => {
    const out: number[] = [];
    const [start, end] = bounds(idx);
    for (let pc = start; pc < end; pc++) {
      const insn = env.insns[pc];
      if (insn === undefined) continue;
      const call = insn.code === (JMP | CALL) && insn.src === PSEUDO_CALL;
      if (!call && !isPseudoFunc(insn)) continue;
      const callee = subprogs.indexOf(pc + insn.imm + 1);
      // A synchronous callback runs on top of the frame that takes its address; an async one on a stack of its own.
      if (call || !env.asyncSubprogs.has(callee)) out.push(callee);
    }
    return out;
  };
  const hasTailCall = (idx: number): boolean => {
    const [start, end] = bounds(idx);
    for (let pc = start; pc < end; pc++) {
      const insn = env.insns[pc];
      if (insn !== undefined && insn.code === (JMP | CALL) && insn.src === 0 && insn.imm === BPF_FUNC_TAIL_CALL) return true;
    }
    return false;
  };
  const seen = new Set<string>();
  const walk = (idx: number, frame: number, depth: number): void => {
    const key = `${String(idx)}/${String(frame)}/${String(depth)}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (idx !== 0 && depth >= MAX_TAIL_CALL_CALLER_STACK && hasTailCall(idx)) {
      fail(env.log, 'EACCES', 'tail-call-stack', `tail_calls are not allowed when call stack of previous frames is ${String(depth)} bytes. Too large`);
    }
    const d = depth + roundUp(env.subprogStack[idx] ?? 0);
    if (d > MAX_BPF_STACK) fail(env.log, 'EACCES', 'stack-too-large', `combined stack size of ${String(frame + 1)} calls is ${String(d)}. Too large`);
    for (const c of callees(idx)) {
      if (frame + 1 >= MAX_CALL_FRAMES) fail(env.log, 'E2BIG', 'call-stack-too-deep', `the call stack of ${String(frame + 1)} frames is too deep !`);
      walk(c, frame + 1, d);
    }
  };
  // Async callbacks are roots of their own, checked from the last subprogram down to the main one.
  for (let idx = subprogs.length - 2; idx >= 0; idx--) if (idx === 0 || env.asyncSubprogs.has(idx)) walk(idx, 0, 0);
}
