import type { Insn } from '@bpfkit/asm';
import type { VerifierEnv } from './env.js';
import { isMayGoto, jumpTarget } from './insns.js';
import { fail } from './log.js';
import type { Checkpoint } from './prune.js';
import { cloneState, type VState } from './state.js';
import { widenImpreciseScalars } from './widen.js';

/** The frames of both states were entered from the same call sites (`same_callsites`). */
function sameCallsites(a: VState, b: VState): boolean {
  return a.frames.length === b.frames.length && a.frames.every((f, i) => f.returnTo === b.frames[i]?.returnTo);
}

/**
 * `find_prev_entry`: the checkpoint of an earlier pass through this `may_goto`
 * on the current path (a loop), older than the path's last checkpoint.
 */
export function findPrevEntry(env: VerifierEnv, cur: VState, pc: number): Checkpoint | undefined {
  for (let cp = env.curParent?.parent; cp !== undefined; cp = cp.parent) {
    if (cp.state.insnIdx === pc && cp.branches > 0 && sameCallsites(cp.state, cur)) return cp;
  }
  return undefined;
}

/**
 * `may_goto` in `check_cond_jmp_op`: the path goes on at the target (the loop
 * budget ran out); the fall-through is queued one `may_goto` deeper, with the
 * scalars that changed since the previous pass widened so that the loop converges.
 *
 * @example
 * checkMayGoto(env, state, insn, 7); // 7 + insn.off + 1
 */
export function checkMayGoto(env: VerifierEnv, state: VState, insn: Insn, pc: number): number {
  if (insn.code !== 0xe5 || insn.src !== 0 || insn.dst !== 0 || insn.imm !== 0) fail(env.log, 'EINVAL', 'bad-may-goto', `invalid may_goto imm ${String(insn.imm)}`);
  const prev = findPrevEntry(env, state, pc);
  const queued = cloneState(state);
  queued.mayGotoDepth = (queued.mayGotoDepth ?? 0) + 1;
  if (prev !== undefined) widenImpreciseScalars(prev.state, queued);
  env.pushStack(queued, pc + 1, pc);
  return jumpTarget(insn, pc);
}

/**
 * `do_misc_fixups`: each subprogram with a `may_goto` left after dead code removal gets two more
 * 8-byte slots for the loop budget and its start time (x86-64's timed `may_goto`), which the stack
 * depth statistics show. A privileged load also drops `may_goto +0` as a no-op.
 */
export function addMayGotoStack(env: VerifierEnv, seen: Uint8Array): void {
  const subprogCount = Math.max(env.subprogs.length - 1, 1);
  for (let s = 0; s < subprogCount; s++) {
    const end = env.subprogs[s + 1] ?? env.insns.length;
    for (let pc = env.subprogs[s] ?? 0; pc < end; pc++) {
      const insn = env.insns[pc];
      if (seen[pc] !== 1 || !isMayGoto(insn) || (env.privileges.bpfCapable && insn?.off === 0)) continue;
      env.subprogStack[s] = (env.subprogStack[s] ?? 0) + 16;
      break;
    }
  }
}
