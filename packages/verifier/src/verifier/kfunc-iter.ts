import type { BtfTypeView } from '@bpfkit/kernel-api';
import { KfuncFlag } from '@bpfkit/kernel-api';
import { releaseReference } from './references.js';
import { checkMemAccess } from './check-mem.js';
import type { VerifierEnv } from './env.js';
import type { KfuncMeta } from './kfunc-meta.js';
import { fail } from './log.js';
import { findPrevEntry } from './may-goto.js';
import { slotOf } from './stack.js';
import { cloneState, constScalar, NOT_NULL, pointer, type IterState, type RegState, type StackSlot, type VState } from './state.js';
import { tnumIsConst } from './tnum.js';
import { widenImpreciseScalars } from './widen.js';

/** Where an iterator lives: its frame and its first (lowest) stack slot. */
export interface IterSlot {
  readonly frame: number;
  readonly spi: number;
}

/** The iterators this model walks; others (task, css, vma: RCU and trust rules) are refused. */
export const MODELLED_ITERS: ReadonlySet<string> = new Set(['bpf_iter_num', 'bpf_iter_bits']);

/** `iter_type_str`: the iterator's name without `bpf_iter_`. */
function iterName(t: BtfTypeView): string {
  return t.name.replace(/^bpf_iter_/, '');
}

function iterOf(slot: StackSlot | undefined): RegState | undefined {
  return slot !== undefined && slot.bytes.every((b) => b === 'spill') && slot.spilled?.type === 'iter' ? slot.spilled : undefined;
}

/**
 * `process_iter_arg`: the iterator argument of an iterator kfunc, a stack pointer at a
 * constant, slot-aligned offset. `bpf_iter_*_new` needs slots that hold no iterator, writes
 * them and makes them the iterator (a new reference, active, depth 0); `next` and `destroy`
 * need an iterator of the same type there; `destroy` drops it and its reference.
 *
 * @example
 * const at = processIterArg(env, state, 1, reg, meta, t); // "expected an initialized iter_bits as arg #0"
 */
export function processIterArg(env: VerifierEnv, state: VState, regno: number, reg: RegState, meta: KfuncMeta, t: BtfTypeView): { at: IterSlot; refObjId: number } {
  const argNo = String(regno - 1);
  if (reg.type !== 'fp') fail(env.log, 'EINVAL', 'iter-arg', `arg#${argNo} expected pointer to an iterator on stack`);
  const nrSlots = Math.floor((t.size ?? 0) / 8);
  if (!tnumIsConst(reg.varOff)) fail(env.log, 'EINVAL', 'iter-arg', 'iter has to be at a constant offset');
  const off = reg.off + Number(BigInt.asIntN(64, reg.varOff.value));
  const spi = Math.floor((-off - 1) / 8);
  if (off % 8 !== 0 || spi + 1 < nrSlots) fail(env.log, 'EINVAL', 'iter-arg', `cannot pass in iter at an offset=${String(off)}`);
  const frameNo = reg.frame ?? state.frames.length - 1;
  const frame = state.frames[frameNo] ?? env.frame(state);
  const name = iterName(t);
  if ((meta.flags & KfuncFlag.ITER_NEW) !== 0) {
    for (let i = 0; i < nrSlots && spi - i < frame.stack.length; i++) {
      if (frame.stack[spi - i]?.bytes.some((b) => b === 'spill') === true && iterOf(frame.stack[spi - i]) !== undefined) {
        fail(env.log, 'EINVAL', 'iter-uninit', `expected uninitialized iter_${name} as arg #${argNo}`);
      }
    }
    for (let i = 0; i < nrSlots; i++) checkMemAccess(env, state, regno, reg, i * 8, 8, true, undefined, undefined, env.insnIdx);
    const id = env.nextId++;
    state.refs.push({ id, insn: env.insnIdx });
    const iter: IterState = { name: t.name, state: 'active', depth: 0 };
    for (let i = 0; i < nrSlots; i++) {
      const slot = slotOf(frame, spi - i);
      slot.bytes = Array.from({ length: 8 }, () => 'spill' as const);
      slot.spilled = pointer('iter', 0, { iter, ...(i === 0 ? { refObjId: id } : {}) });
      env.scratchedStack.add(spi - i);
      env.markStackWrite(frameNo, spi - i);
    }
    return { at: { frame: frameNo, spi }, refObjId: 0 };
  }
  for (let i = 0; i < nrSlots; i++) {
    const st = iterOf(frame.stack[spi - i]);
    const hasRef = (st?.refObjId ?? 0) !== 0;
    if (st?.iter?.name !== t.name || hasRef !== (i === 0)) {
      fail(env.log, 'EINVAL', 'iter-init', `expected an initialized iter_${name} as arg #${argNo}`);
    }
  }
  // `mark_iter_read`.
  for (let i = 0; i < nrSlots; i++) env.markStackRead(frameNo, spi - i);
  const refObjId = frame.stack[spi]?.spilled?.refObjId ?? 0;
  if ((meta.flags & KfuncFlag.ITER_DESTROY) !== 0) {
    for (let i = 0; i < nrSlots; i++) {
      env.markStackWrite(frameNo, spi - i);
      const slot = slotOf(frame, spi - i);
      slot.bytes = Array.from({ length: 8 }, () => 'invalid' as const);
      delete slot.spilled;
      env.scratchedStack.add(spi - i);
    }
    releaseReference(env, state, refObjId);
  }
  return { at: { frame: frameNo, spi }, refObjId };
}

/**
 * `process_iter_next_call`: an active iterator forks. The path goes on with it drained and
 * R0 NULL; a path queued after the call has it active one pass deeper and R0 not NULL, with
 * scalars that changed since the previous pass widened (so that the loop converges).
 *
 * @example
 * processIterNextCall(env, state, 11, at);
 */
export function processIterNextCall(env: VerifierEnv, state: VState, pc: number, at: IterSlot): void {
  const slotIn = (s: VState): StackSlot | undefined => s.frames[at.frame]?.stack[at.spi];
  const cur = slotIn(state);
  const iter = cur?.spilled?.iter;
  if (cur === undefined || cur.spilled === undefined || iter === undefined) return;
  if (iter.state === 'active') {
    const prev = findPrevEntry(env, state, pc);
    const queued = cloneState(state);
    const qs = slotIn(queued);
    if (qs?.spilled !== undefined) qs.spilled = { ...qs.spilled, iter: { ...iter, state: 'active', depth: iter.depth + 1 } };
    if (prev !== undefined) widenImpreciseScalars(prev.state, queued);
    const qf = queued.frames[queued.frames.length - 1];
    const r0 = qf?.regs[0];
    if (qf !== undefined && r0 !== undefined) qf.regs[0] = { ...r0, type: NOT_NULL[r0.type] ?? r0.type };
    env.pushStack(queued, pc + 1, pc);
  }
  cur.spilled = { ...cur.spilled, iter: { ...iter, state: 'drained' } };
  // The drained iterator is printed with the call's state (in the frame that owns it).
  if (at.frame === state.frames.length - 1) env.scratchedStack.add(at.spi);
  env.writeReg(state, 0, constScalar(0n));
}

/** At an iterator `next` call: is the iterator R1 points to still active (`is_state_visited`'s loop convergence test)? */
export function iterActiveAtR1(state: VState): boolean {
  const r1 = state.frames[state.frames.length - 1]?.regs[1];
  if (r1?.type !== 'fp' || !tnumIsConst(r1.varOff)) return false;
  const off = r1.off + Number(BigInt.asIntN(64, r1.varOff.value));
  const slot = state.frames[r1.frame ?? state.frames.length - 1]?.stack[Math.floor((-off - 1) / 8)];
  return slot?.spilled?.iter?.state === 'active';
}

/** `iter_active_depths_differ`: an active iterator of `old` is at another depth in `cur` (not an infinite loop then). */
export function iterActiveDepthsDiffer(old: VState, cur: VState): boolean {
  return old.frames.some((f, fr) => f.stack.some((slot, spi) => {
    const it = slot.spilled?.iter;
    if (slot.bytes[0] !== 'spill' || it?.state !== 'active') return false;
    return cur.frames[fr]?.stack[spi]?.spilled?.iter?.depth !== it.depth;
  }));
}
