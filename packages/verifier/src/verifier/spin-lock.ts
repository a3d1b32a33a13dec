import type { VerifierEnv } from './env.js';
import { invalidateNonOwningRefs, regRecord } from './graph.js';
import { fail } from './log.js';
import { checkMapFieldPointer } from './map-fields.js';
import type { HeldLock, RegState, VState } from './state.js';
import { tnumIsConst } from './tnum.js';

/**
 * `reg_may_point_to_spin_lock`: a map value or allocated object with a `bpf_spin_lock`
 * keeps its pointer id past the NULL check, because the id names the lock.
 */
export function regMayPointToSpinLock(env: VerifierEnv, reg: RegState): boolean {
  return (regRecord(env, reg)?.spinLockOff ?? -1) >= 0;
}

/** The lock of an allocated object: its struct's one `bpf_spin_lock`, at its constant offset. */
function allocLockPtr(env: VerifierEnv, regno: number, reg: RegState): HeldLock['ptr'] {
  if (!tnumIsConst(reg.varOff)) {
    fail(env.log, 'EINVAL', 'spin-lock-var-off', `R${String(regno)} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`);
  }
  const lockOff = regRecord(env, reg)?.spinLockOff ?? -1;
  if (lockOff < 0 || reg.btf === undefined) fail(env.log, 'EINVAL', 'spin-lock-missing', "local 'kptr' has no valid bpf_spin_lock");
  const at = BigInt(reg.off) + reg.varOff.value;
  if (at !== BigInt(lockOff)) {
    fail(env.log, 'EINVAL', 'spin-lock-off', `off ${BigInt.asIntN(64, at).toString()} doesn't point to 'struct bpf_spin_lock' that is at ${String(lockOff)}`);
  }
  return reg.btf;
}

/**
 * `process_spin_lock` for `bpf_spin_lock` / `bpf_spin_unlock`: the argument
 * points at the one `bpf_spin_lock` of a map value or of an object the program
 * allocated, at its constant offset. One lock may be held at a time; it is known
 * by the pointer's id and its map (an object's: its BTF), so a value looked up
 * twice is two locks.
 */
export function processSpinLock(env: VerifierEnv, state: VState, regno: number, reg: RegState, isLock: boolean): void {
  const ptr = reg.type === 'map_value' ? checkMapFieldPointer(env, regno, reg, 'bpf_spin_lock').map.fd : allocLockPtr(env, regno, reg);
  if (isLock) {
    if (state.lock !== undefined) fail(env.log, 'EINVAL', 'spin-lock-twice', 'Locking two bpf_spin_locks are not allowed');
    state.lock = { id: reg.id, ptr, insn: env.insnIdx, nextRefId: env.nextId };
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
