import type { HelperDescriptor, RunnableProgram } from '@bpfkit/kernel-api';
import { BPF_MAX_LOOPS, MAX_CALL_FRAMES } from '../program/limits.js';
import type { InterpCode } from './code.js';
import { fault } from './faults.js';
import { FaultSignal, type Machine } from './machine.js';

/**
 * How the interpreter reaches a program another loaded program tail-calls:
 * its own programs expose their code (run in place, sharing the tail-call
 * count), others are run through {@link LoadedProgram.run}.
 *
 * @example
 * const code = (target.loaded as TailTarget).interpCode();
 */
export interface TailTarget {
  /** The target's machine-level code when the interpreter loaded it. */
  interpCode(): InterpCode | undefined;
}

function isTailTarget(x: unknown): x is TailTarget {
  return typeof x === 'object' && x !== null && typeof (x as Partial<TailTarget>).interpCode === 'function';
}

/**
 * Calls helper `id` with the machine's registers; unknown ids are a `helper` fault.
 *
 * @example
 * callHelper(m, pc, 1); // bpf_map_lookup_elem with r1–r5 from m
 */
export function callHelper(m: Machine, pc: number, id: number): void {
  const env = m.env;
  const helper: HelperDescriptor | undefined = env?.helpers.get(id);
  const call = m.helperCall;
  if (helper === undefined || call === undefined) fault('helper', pc, `unknown helper ${id}`);
  helper.call(call);
}

/**
 * Calls the kfunc named at this call site; one the registry lacks is a `helper` fault.
 *
 * @example
 * callKfunc(m, pc, 'bpf_iter_num_new');
 */
export function callKfunc(m: Machine, pc: number, name: string | undefined): void {
  const env = m.env;
  const kfunc = name === undefined ? undefined : env?.helpers.kfunc(name);
  const call = m.helperCall;
  if (kfunc === undefined || call === undefined) fault('helper', pc, `unknown kfunc ${name ?? '(unnamed)'}`);
  kfunc.call(call);
}

/**
 * Performs the tail call a helper asked for (`m.pendingTail`). An
 * interpreter program replaces the current frame's code (r1 = ctx, same r10,
 * a fresh `may_goto` budget) and the function returns true; a program of
 * another engine runs to its end here, its r0 becomes this frame's r0, and
 * the function returns false (the frame then exits).
 *
 * @example
 * if (m.pendingTail !== undefined && enterTailCall(m)) m.pc = 0;
 */
export function enterTailCall(m: Machine): boolean {
  const target: RunnableProgram | undefined = m.pendingTail;
  m.pendingTail = undefined;
  if (target === undefined) return false;
  const r = m.r;
  const loaded: unknown = target.loaded;
  const code = isTailTarget(loaded) ? loaded.interpCode() : undefined;
  if (code !== undefined) {
    // The target replaces this frame; its own calls may stack MAX_CALL_FRAMES - 1 deeper.
    const depth = m.depth;
    m.growStack(depth + MAX_CALL_FRAMES);
    m.progBase = depth;
    m.code = code;
    m.pc = 0;
    r[2] = m.pendingTailCtx;
    r[3] = 0;
    m.loops[depth] = BPF_MAX_LOOPS;
    return true;
  }
  const env = m.env;
  if (env === undefined) return false;
  const out = target.loaded.run({ r1: m.pendingTailCtx >>> 0 }, env);
  m.executed += out.insnsExecuted;
  if (out.kind === 'fault') throw new FaultSignal(out.fault.kind, out.fault.pc, out.fault.message, out.fault.addr, out.fault.size);
  const r0 = BigInt.asUintN(64, out.r0);
  r[0] = Number(r0 & 0xffffffffn);
  r[1] = Number(r0 >> 32n);
  return false;
}
