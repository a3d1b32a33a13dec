import type { VerifierEnv } from './env.js';
import { CALL, isPseudoFunc, JMP, PSEUDO_CALL } from './insns.js';
import { fail } from './log.js';
import { MAX_BPF_STACK } from './stack.js';

const MAX_CALL_FRAMES = 8;

/** `round_up_stack_depth` with the JIT: frames are 16-byte aligned. */
const roundUp = (depth: number): number => Math.ceil(depth / 16) * 16;

/**
 * `check_max_stack_depth`: along every chain of bpf-to-bpf calls, the frames together fit in
 * MAX_BPF_STACK and there are at most MAX_CALL_FRAMES of them.
 */
export function checkMaxStackDepth(env: VerifierEnv): void {
  const subprogs = env.subprogs;
  const callees = (idx: number): number[] => {
    const out: number[] = [];
    const start = subprogs[idx] ?? 0, end = subprogs[idx + 1] ?? env.insns.length;
    for (let pc = start; pc < end; pc++) {
      const insn = env.insns[pc];
      // A synchronous callback runs on top of the frame that takes its address.
      if (insn !== undefined && ((insn.code === (JMP | CALL) && insn.src === PSEUDO_CALL) || isPseudoFunc(insn))) out.push(subprogs.indexOf(pc + insn.imm + 1));
    }
    return out;
  };
  const seen = new Set<string>();
  const walk = (idx: number, frame: number, depth: number): void => {
    const key = `${String(idx)}/${String(frame)}/${String(depth)}`;
    if (seen.has(key)) return;
    seen.add(key);
    const d = depth + roundUp(env.subprogStack[idx] ?? 0);
    if (d > MAX_BPF_STACK) fail(env.log, 'EACCES', 'stack-too-large', `combined stack size of ${String(frame + 1)} calls is ${String(d)}. Too large`);
    for (const c of callees(idx)) {
      if (frame + 1 >= MAX_CALL_FRAMES) fail(env.log, 'E2BIG', 'call-stack-too-deep', `the call stack of ${String(frame + 1)} frames is too deep !`);
      walk(c, frame + 1, d);
    }
  };
  walk(0, 0, 0);
}
