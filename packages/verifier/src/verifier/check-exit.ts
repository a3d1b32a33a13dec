import { leak } from './check-call.js';
import type { VerifierEnv } from './env.js';
import { fail } from './log.js';
import { markChainPrecision } from './precision.js';
import { isPointer, notInit, regTypeStr, type VState } from './state.js';

/** `process_bpf_exit_full` / `prepare_func_exit`: returns to the caller, or ends the path ('exit'). */
export function processExit(env: VerifierEnv, state: VState): number | 'exit' {
  const f = env.frame(state);
  if (state.frames.length > 1) {
    // A subprogram may return nothing: R0 is passed back as it is.
    const r0 = f.regs[0] ?? notInit;
    env.scratched.add(0);
    state.frames.pop();
    const caller = env.frame(state);
    for (let r = 1; r <= 5; r++) caller.regs[r] = notInit;
    caller.regs[0] = r0;
    return f.returnTo;
  }
  if (state.refs.length > 0) leak(env, state, 'BPF_EXIT instruction in main prog');
  checkReturnCode(env, state);
  return 'exit';
}

/** `check_return_code` for the main program. */
function checkReturnCode(env: VerifierEnv, state: VState): void {
  const r0 = env.readReg(state, 0);
  if (isPointer(r0) && !env.privileges.allowPtrLeaks) fail(env.log, 'EACCES', 'ptr-leak', 'R0 leaks addr as return value');
  const range = env.progType?.returnRange(env.req.expectedAttachType);
  if (range === undefined) return;
  if (r0.type !== 'scalar') {
    fail(env.log, 'EINVAL', 'bad-return', `At program exit the register R0 is not a known value (${regTypeStr(r0)})`);
  }
  markChainPrecision(env, state, 0);
  const { smin, smax } = r0;
  if (smin < BigInt(range.min) || smax > BigInt(range.max)) {
    fail(env.log, 'EINVAL', 'bad-return',
      `At program exit the register R0 has smin=${smin.toString()} smax=${smax.toString()} should have been in [${String(range.min)}, ${String(range.max)}]`);
  }
}
