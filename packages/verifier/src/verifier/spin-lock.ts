import type { VerifierEnv } from './env.js';
import { invalidateNonOwningRefs } from './graph.js';
import { fail } from './log.js';
import { checkMapFieldPointer } from './map-fields.js';
import type { RegState, VState } from './state.js';

/**
 * `process_spin_lock` for `bpf_spin_lock` / `bpf_spin_unlock`: the argument
 * points at the value's one `bpf_spin_lock`, at its constant offset. One lock
 * may be held at a time; it is known by the map and the pointer's id, so a
 * value looked up twice is two locks.
 */
export function processSpinLock(env: VerifierEnv, state: VState, regno: number, reg: RegState, isLock: boolean): void {
  const { map } = checkMapFieldPointer(env, regno, reg, 'bpf_spin_lock');
  const ptr = map.fd;
  if (isLock) {
    if (state.lock !== undefined) fail(env.log, 'EINVAL', 'spin-lock-twice', 'Locking two bpf_spin_locks are not allowed');
    state.lock = { id: reg.id, ptr, insn: env.insnIdx };
    return;
  }
  if (state.lock === undefined) fail(env.log, 'EINVAL', 'spin-unlock-unlocked', 'bpf_spin_unlock without taking a lock');
  if (state.lock.id !== reg.id || state.lock.ptr !== ptr) fail(env.log, 'EINVAL', 'spin-unlock-other', 'bpf_spin_unlock of different lock');
  state.lock = undefined;
  invalidateNonOwningRefs(env, state);
}

/**
 * The lock half of `check_resource_leak`: leaving the program (exit of the
 * main program, LD_ABS/LD_IND, tail call) with the lock held.
 */
export function checkLockHeld(env: VerifierEnv, state: VState, prefix: string): void {
  if (state.lock !== undefined) fail(env.log, 'EINVAL', 'lock-held', `${prefix} cannot be used inside bpf_spin_lock-ed region`);
}
