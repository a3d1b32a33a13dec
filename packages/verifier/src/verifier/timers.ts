import type { VerifierMap } from '@bpfkit/kernel-api';
import type { VerifierEnv } from './env.js';
import { fail } from './log.js';
import { checkMapFieldPointer, regMap } from './map-fields.js';
import { notInit, pointer, type RegState, type VState } from './state.js';

/** `MAX_CALL_FRAMES`: an async callback starts a call chain of its own, but still counts against it. */
const MAX_CALL_FRAMES = 8;

/**
 * `process_timer_func`: a `bpf_timer` argument points at the one `struct bpf_timer` of a
 * BTF-described map value, at its constant offset. Returns the timer's map for the checks
 * of the arguments that follow (`bpf_timer_init`'s map).
 */
export function processTimerArg(env: VerifierEnv, regno: number, reg: RegState): VerifierMap {
  return checkMapFieldPointer(env, regno, reg, 'bpf_timer').map;
}

/**
 * The `ARG_CONST_MAP_PTR` check of `bpf_timer_init`: the map must be the one holding the timer.
 * Map-in-map values are told apart by their map only (the kernel's `map_uid` is not tracked), so
 * both uids print as 0.
 */
export function checkTimerMap(env: VerifierEnv, timerMap: VerifierMap, reg: RegState): void {
  const map = regMap(env, reg);
  if (map !== timerMap) fail(env.log, 'EINVAL', 'timer-map', "timer pointer in R1 map_uid=0 doesn't match map pointer in R2 map_uid=0");
}

/**
 * `push_async_cb` with `set_timer_callback_state`: the callback of `bpf_timer_set_callback` is
 * verified later as a path of its own, from a fresh state (frame 0, no parent, nothing of the
 * caller) whose R1-R3 are the timer's map, key and value; it must return 0. The current path goes
 * on after the call.
 */
export function pushTimerCallback(env: VerifierEnv, state: VState, pc: number, subprog: number, timerMap: VerifierMap): void {
  if (subprog < 0 || subprog >= env.subprogs.length - 1) throw new Error('verifier: timer callback without a subprogram');
  if (state.frames.length >= MAX_CALL_FRAMES) {
    fail(env.log, 'E2BIG', 'call-stack-too-deep', `the call stack of ${String(state.frames.length + 1)} frames is too deep`);
  }
  const m = { mapFd: timerMap.fd, valueSize: timerMap.valueSize, keySize: timerMap.keySize };
  const regs: RegState[] = Array.from({ length: 11 }, () => notInit);
  regs[1] = pointer('map_ptr', 0, m);
  regs[2] = pointer('map_key', 0, m);
  // The value gets a fresh id when the callback is pushed (Linux 6.18's logs: the call takes one from `id_gen`).
  regs[3] = pointer('map_value', 0, { mapFd: timerMap.fd, valueSize: timerMap.valueSize, id: env.nextId++ });
  regs[10] = pointer('fp', 0, { frame: 0 });
  env.asyncSubprogs.add(subprog);
  // Linux then prints the caller's whole state after the call.
  env.scratchedAll = true;
  const cb: VState = {
    frames: [{ regs, stack: [], returnTo: -1, subprog, callback: { min: 0n, max: 0n, async: true } }],
    refs: [], firstIdx: 0, lastIdx: -1, insnIdx: env.subprogs[subprog] ?? 0, hist: [],
  };
  env.pushAsync(cb, env.subprogs[subprog] ?? 0, pc);
}
