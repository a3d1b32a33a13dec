import { attachReturnsVoid } from './btf-ctx.js';
import { checkResourceLeak } from './check-call.js';
import type { VerifierEnv } from './env.js';
import { fail } from './log.js';
import { markChainPrecision } from './precision.js';
import { widenImpreciseScalars } from './widen.js';
import { isPointer, notInit, regTypeStr, type VState } from './state.js';

const STRUCT_OPS = 27;

/** `process_bpf_exit_full` / `prepare_func_exit`: returns to the caller, or ends the path ('exit'). */
export function processExit(env: VerifierEnv, state: VState): number | 'exit' {
  const f = env.frame(state);
  // `bpf_update_live_stack` before a subprogram's or callback's exit (the callee's marks reach its caller).
  if (state.frames.length > 1) env.liveStack?.update(state);
  if (state.frames.length > 1 && f.callback !== undefined) return callbackExit(env, state, f.callback, f.returnTo - 1);
  if (state.frames.length > 1) {
    // A subprogram may return nothing: R0 is passed back as it is.
    const r0 = f.regs[0] ?? notInit;
    // Its own stack is gone once it returns (pointers to a caller's stack would do, but the kernel refuses all).
    if (r0.type === 'fp') fail(env.log, 'EINVAL', 'return-stack-ptr', 'cannot return stack pointer to the caller');
    env.scratched.add(0);
    state.frames.pop();
    const caller = env.frame(state);
    for (let r = 1; r <= 5; r++) caller.regs[r] = notInit;
    caller.regs[0] = r0;
    return f.returnTo;
  }
  checkResourceLeak(env, state, 'BPF_EXIT instruction in main prog');
  if (f.callback?.async === true) checkAsyncReturnCode(env, state, f.callback);
  else if (f.subprog > 0) checkGlobalReturnCode(env, state);
  else checkReturnCode(env, state);
  return 'exit';
}

/** `check_return_code` for an async callback: R0 must be a known scalar in the callback's range. */
function checkAsyncReturnCode(env: VerifierEnv, state: VState, range: { readonly min: bigint; readonly max: bigint }): void {
  const r0 = env.readReg(state, 0);
  if (isPointer(r0) && !env.privileges.allowPtrLeaks) fail(env.log, 'EACCES', 'ptr-leak', 'R0 leaks addr as return value');
  if (r0.type !== 'scalar') {
    fail(env.log, 'EINVAL', 'bad-return', `At async callback return the register R0 is not a known value (${regTypeStr(r0)})`);
  }
  markChainPrecision(env, state, 0);
  if (r0.smin < range.min || r0.smax > range.max) {
    fail(env.log, 'EINVAL', 'bad-return', invalidScalar('At async callback return', r0, range.min, range.max));
  }
}

/** `check_return_code` for a global function: R0 must be a scalar. */
function checkGlobalReturnCode(env: VerifierEnv, state: VState): void {
  const r0 = env.readReg(state, 0);
  if (isPointer(r0) && !env.privileges.allowPtrLeaks) fail(env.log, 'EACCES', 'ptr-leak', 'R0 leaks addr as return value');
  if (r0.type !== 'scalar') {
    fail(env.log, 'EINVAL', 'bad-return', `At subprogram exit the register R0 is not a scalar value (${regTypeStr(r0)})`);
  }
}

/** `check_return_code` for the main program. */
function checkReturnCode(env: VerifierEnv, state: VState): void {
  // A struct_ops callback declared void: R0 is not read.
  if (env.req.progType === STRUCT_OPS && attachReturnsVoid(env.req.attachFunc)) return;
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
    fail(env.log, 'EINVAL', 'bad-return', invalidScalar('At program exit', r0, BigInt(range.min), BigInt(range.max)));
  }
}

/** `verbose_invalid_scalar`: the bounds R0 has (each only when it says something), and the range it should be in. */
function invalidScalar(where: string, r0: { readonly smin: bigint; readonly smax: bigint }, min: bigint, max: bigint): string {
  let has = '';
  if (r0.smin > -(1n << 63n)) has += ` smin=${r0.smin.toString()}`;
  if (r0.smax < (1n << 63n) - 1n) has += ` smax=${r0.smax.toString()}`;
  return `${where} the register R0 has${has === '' ? ' unknown scalar value' : has} should have been in [${min.toString()}, ${max.toString()}]`;
}

/**
 * `prepare_func_exit` for a callback: R0 must be a scalar in the callback's range; the caller's
 * registers are left as they were and the path goes back to the helper call, which may queue
 * another visit. Scalars nothing needed exactly, that changed since the previous visit of the
 * call, become unknown so that the visits converge (`widen_imprecise_scalars`).
 */
function callbackExit(env: VerifierEnv, state: VState, range: { readonly min: bigint; readonly max: bigint }, callsite: number): number {
  const r0 = env.frame(state).regs[0] ?? notInit;
  if (r0.type !== 'scalar') fail(env.log, 'EACCES', 'callback-r0', 'R0 not a scalar value');
  markChainPrecision(env, state, 0);
  if (r0.smin < range.min || r0.smax > range.max) {
    fail(env.log, 'EINVAL', 'callback-return', invalidScalar('At callback return', r0, range.min, range.max));
  }
  env.scratched.add(0);
  state.frames.pop();
  const prev = env.findPrevEntry?.(state, callsite);
  if (prev !== undefined) widenImpreciseScalars(prev, state);
  return callsite;
}
