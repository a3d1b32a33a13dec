import type { HelperCall, HelperEnv, RunEnv, RunnableProgram } from '@bpfkit/kernel-api';
import { callbackTarget } from '../program/callback.js';
import { BPF_MAX_LOOPS, MAX_CALL_FRAMES } from '../program/limits.js';
import { takeTailCall } from '../program/tail-calls.js';
import { execute } from './exec.js';
import { FaultSignal, restoreCalleeSaved, saveCalleeSaved, type Machine } from './machine.js';

/**
 * A JavaScript number as a (lo, hi) register pair, two's complement for negatives.
 *
 * @example
 * setRegister(m.r, 1, -1); // r1 = 0xffffffffffffffff
 */
export function setRegister(r: Int32Array, reg: number, value: number): void {
  r[2 * reg] = value >>> 0;
  r[2 * reg + 1] = Math.floor(value / 0x1_0000_0000);
}

/**
 * A register pair as the u64 BigInt outcomes report (once per run, never per instruction).
 *
 * @example
 * registerValue(-1, 0); // 0xffffffffn
 */
export function registerValue(lo: number, hi: number): bigint {
  return hi === 0 ? BigInt(lo >>> 0) : (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function isRunnable(x: unknown): x is RunnableProgram {
  if (typeof x !== 'object' || x === null) return false;
  const loaded = (x as { loaded?: unknown }).loaded;
  return typeof loaded === 'object' && loaded !== null && typeof (loaded as { run?: unknown }).run === 'function';
}

/**
 * Runs the callback subprogram `fn` (its instruction index, the low word of
 * the `BPF_PSEUDO_FUNC` value) in a new frame on top of the helper's caller,
 * the way `bpf_loop` and friends call back: r1–r5 are the arguments, r6–r10
 * of the caller are preserved, and so are its r0–r5, which the helper may
 * still read after calling back.
 */
function invokeCallback(m: Machine, fn: number, a1: number, a2: number, a3: number, a4: number, a5: number): bigint {
  const code = m.code;
  const target = callbackTarget(fn);
  if (!code.layout.isStart(target)) {
    throw new FaultSignal('helper', m.pc, `callback ${target} is not the start of a subprogram (pc ${m.pc})`);
  }
  const depth = m.depth;
  if (depth + 1 - m.progBase >= MAX_CALL_FRAMES) {
    throw new FaultSignal('call-depth', m.pc, `more than ${MAX_CALL_FRAMES} call frames (pc ${m.pc})`);
  }
  const r = m.r;
  const callerPc = m.pc;
  const args = m.callerArgs;
  for (let i = 0; i < 12; i++) args[depth * 12 + i] = r[i] ?? 0;
  saveCalleeSaved(m, depth);
  m.retBase[depth] = m.progBase;
  m.depth = depth + 1;
  m.loops[depth + 1] = BPF_MAX_LOOPS;
  setRegister(r, 1, a1);
  setRegister(r, 2, a2);
  setRegister(r, 3, a3);
  setRegister(r, 4, a4);
  setRegister(r, 5, a5);
  r[20] = m.frameTop[depth + 1] ?? 0;
  r[21] = 0;
  m.pc = target;
  execute(m, depth + 1, Infinity);
  const result = registerValue(r[0] ?? 0, r[1] ?? 0);
  m.depth = depth;
  m.progBase = m.retBase[depth] ?? 0;
  restoreCalleeSaved(m, depth);
  for (let i = 0; i < 12; i++) r[i] = args[depth * 12 + i] ?? 0;
  m.pc = callerPc;
  m.code = code;
  m.refresh();
  return result;
}

/**
 * `bpf_tail_call`'s checks in the kernel's order: index against
 * `max_entries`, then the chain's count (`MAX_TAIL_CALL_CNT`, shared with
 * the other engines through `tailCallChain`), which is spent even when the
 * slot then turns out empty, then the slot.
 */
function requestTailCall(m: Machine, mapAddr: number, index: number): boolean {
  const map = m.env?.services.mapAt(mapAddr);
  const slots = map?.slots;
  if (map === undefined || slots === undefined) return false;
  const i = index >>> 0;
  if (i >= map.info.maxEntries) return false;
  if (!takeTailCall()) return false;
  const target: unknown = slots.at(i)?.target;
  if (!isRunnable(target)) return false;
  m.pendingTail = target;
  m.pendingTailCtx = m.r[2] ?? 0;
  return true;
}

/**
 * The {@link HelperEnv} and {@link HelperCall} of a machine for one `RunEnv`:
 * built when a run starts with an env the machine has not seen last, so
 * repeated runs in the same env allocate nothing here.
 *
 * @example
 * bindHelperEnv(m, env, image.progType);
 * helper.call(m.helperCall);
 */
export function bindHelperEnv(m: Machine, env: RunEnv, progType: number): void {
  if (m.env === env && m.helperEnv !== undefined && m.helperEnv.progType === progType) return;
  const helperEnv: HelperEnv = {
    arena: env.arena,
    cpu: env.cpu,
    progType,
    services: env.services,
    // A tail call runs its target in this machine: the calling program is whichever code runs now.
    get image() {
      return m.code.image;
    },
    callback: (fn, a1, a2, a3, a4, a5) => invokeCallback(m, fn, a1, a2, a3, a4, a5),
    tailCall: (mapAddr, index) => requestTailCall(m, mapAddr, index),
    fault: (message) => {
      throw new FaultSignal('helper', m.pc, `${message} (pc ${m.pc})`);
    },
  };
  const call: HelperCall = { regs: m.regs, env: helperEnv };
  m.env = env;
  m.helperEnv = helperEnv;
  m.helperCall = call;
}
