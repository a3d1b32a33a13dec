import { notInit, type FrameState, type RegState, type StackSlot, type VState } from './state.js';
import { tnumIn } from './tnum.js';

/** A remembered state at a prune point (`struct bpf_verifier_state_list`). */
export interface Checkpoint {
  readonly state: VState;
  /** Dead registers were dropped (`clean_verifier_state`, once the checkpoint is finished). */
  cleaned: boolean;
  /** Paths still being explored below this state; it prunes others only once this is 0. */
  branches: number;
  /** Prunes it gave and comparisons it lost (`hit_cnt`, `miss_cnt`): useless states are evicted. */
  hits: number;
  misses: number;
  readonly parent: Checkpoint | undefined;
  /** Evicted from its list while paths below it were still explored: kept until they finish (`in_free_list`). */
  inFreeList?: boolean;
}

/**
 * `update_branch_counts`: a path ended; finished checkpoints pass it on to their parents.
 * Returns how many evicted checkpoints this finished (`maybe_free_verifier_state`).
 */
export function updateBranchCounts(cp: Checkpoint | undefined, loops?: { exit(cp: Checkpoint): void }): number {
  let freed = 0;
  for (let p = cp; p !== undefined; p = p.parent) {
    if (--p.branches > 0) break;
    // `maybe_exit_scc`: a loop visit whose entry has no paths left is closed.
    loops?.exit(p);
    if (p.inFreeList === true) freed++;
  }
  return freed;
}

/**
 * `struct bpf_idmap`: ids of the old state must map one-to-one onto ids of the current one. Pairs in
 * two arrays searched in order, as the kernel does: a state has few ids, and emptying it is a store
 * (a `Map` would allocate a new table at every comparison).
 */
class IdMap {
  private readonly olds: number[] = [];
  private readonly curs: number[] = [];
  private count = 0;
  private tmp = 0;
  /** Empties the map for the next comparison (one map serves every comparison). */
  reset(): this {
    this.count = 0;
    this.tmp = 0;
    return this;
  }
  /** `check_ids`. */
  check(oldId: number, curId: number): boolean {
    if ((oldId === 0) !== (curId === 0)) return false;
    if (oldId === 0) return true;
    for (let i = 0; i < this.count; i++) {
      if (this.olds[i] === oldId) return this.curs[i] === curId;
      if (this.curs[i] === curId) return false;
    }
    this.olds[this.count] = oldId;
    this.curs[this.count] = curId;
    this.count++;
    return true;
  }
  /**
   * `check_scalar_ids`: an old id of 0 links nothing and matches any current id; a current id
   * of 0 is a fresh id (two unlinked current scalars cannot stand for one linked old pair).
   */
  checkScalar(oldId: number, curId: number): boolean {
    if (oldId === 0) return true;
    return this.check(oldId, curId === 0 ? --this.tmp : curId);
  }
}

/** `range_within`. */
function rangeWithin(o: RegState, c: RegState): boolean {
  return o.umin <= c.umin && c.umax <= o.umax && o.smin <= c.smin && c.smax <= o.smax &&
    o.u32min <= c.u32min && c.u32max <= o.u32max && o.s32min <= c.s32min && c.s32max <= o.s32max;
}

function sameBounds(o: RegState, c: RegState): boolean {
  return o.varOff.value === c.varOff.value && o.varOff.mask === c.varOff.mask && o.umin === c.umin && o.umax === c.umax &&
    o.smin === c.smin && o.smax === c.smax && o.u32min === c.u32min && o.u32max === c.u32max && o.s32min === c.s32min && o.s32max === c.s32max;
}

/**
 * BTF pointers of the same type and trust, memory equally read-only, iterators of the same kind and
 * state with matching references (an iterator's depth is not compared: `stacksafe`).
 */
function sameKernelPtr(o: RegState, c: RegState, ids: IdMap): boolean {
  if (o.btfId !== c.btfId || o.btfMod !== c.btfMod || o.rdonly !== c.rdonly || o.dynptr?.type !== c.dynptr?.type) return false;
  if (o.memAlloc !== c.memAlloc || o.nonOwnRef !== c.nonOwnRef || o.percpu !== c.percpu) return false;
  if (o.iter === undefined || c.iter === undefined) return o.iter === c.iter;
  return o.iter.name === c.iter.name && o.iter.state === c.iter.state && ids.check(o.refObjId ?? 0, c.refObjId ?? 0);
}

/**
 * `regsafe`: everything the old (verified) register allowed, the current one allows. An old scalar
 * whose value nothing needed (not precise) allows any scalar; without CAP_BPF all scalars are precise.
 */
function regsafe(o: RegState, c: RegState, ids: IdMap, exact: boolean, allPrecise: boolean): boolean {
  // The same register object (unchanged since the state was stored) with no id to map covers itself
  // (`tnum_in` of a tnum in itself holds when its known and unknown bits do not overlap, as they never should).
  if (o === c && o.id === 0 && o.iter === undefined && (exact || (o.varOff.value & o.varOff.mask) === 0n)) return true;
  if (exact) {
    return o.type === c.type && o.off === c.off && sameBounds(o, c) && o.range === c.range && o.frame === c.frame && ids.check(o.id, c.id) &&
      sameKernelPtr(o, c, ids);
  }
  if (o.type === 'not_init') return true;
  if (o.type !== c.type) return false;
  switch (o.type) {
    case 'arena':
      return true;
    case 'scalar':
      if (!allPrecise && o.precise !== true) return true;
      // An old scalar with no id relied on no link: whatever links the current one has only add constraints.
      if (o.id !== 0 && ((o.linkedConst === true) !== (c.linkedConst === true) || (o.linkedConst32 === true) !== (c.linkedConst32 === true))) return false;
      if (o.linkedConst === true && o.off !== c.off) return false;
      return ids.checkScalar(o.id, c.id) && rangeWithin(o, c) && tnumIn(o.varOff, c.varOff);
    case 'map_value':
    case 'ringbuf_mem':
      return o.off === c.off && o.mapFd === c.mapFd && o.innerMap === c.innerMap && o.valueSize === c.valueSize && rangeWithin(o, c) &&
        tnumIn(o.varOff, c.varOff) && ids.check(o.id, c.id);
    case 'pkt':
    case 'pkt_meta': {
      const or = o.range ?? 0, cr = c.range ?? 0;
      if (or < 0 ? cr !== or : cr < or) return false;
      return o.off === c.off && ids.check(o.id, c.id) && rangeWithin(o, c) && tnumIn(o.varOff, c.varOff);
    }
    default:
      return o.off === c.off && o.frame === c.frame && o.mapFd === c.mapFd && o.innerMap === c.innerMap && o.valueSize === c.valueSize &&
        o.subprog === c.subprog && sameKernelPtr(o, c, ids) && sameBounds(o, c) && ids.check(o.id, c.id);
  }
}

const sharedIds = new IdMap();

const unboundScalar: RegState = { ...notInit, type: 'scalar' };

/** `scalar_reg_for_stack`: a 64-bit spilled scalar, or an unknown scalar for all-misc bytes. */
function scalarForStack(slot: StackSlot | undefined, allowUninit: boolean): RegState | undefined {
  if (slot === undefined) return undefined;
  const bytes = slot.bytes;
  if (slot.spilled?.type === 'scalar' && allBytes(bytes, 'spill')) return slot.spilled;
  for (const b of bytes) if (b !== 'misc' && !(allowUninit && b === 'invalid')) return undefined;
  return unboundScalar;
}

/** Every byte of a slot is `kind` (loops, not closures: these run for every slot of every comparison). */
function allBytes(bytes: readonly string[], kind: string): boolean {
  for (const b of bytes) if (b !== kind) return false;
  return true;
}

/** An old slot that covers anything: never written (or, where uninitialised stack may be read, only misc). */
function uninitOrIgnored(bytes: readonly string[], allowUninit: boolean): boolean {
  for (const b of bytes) if (b !== 'invalid' && !(allowUninit && b === 'misc')) return false;
  return true;
}

/** `stacksafe` of a dynptr's slot (`STACK_DYNPTR`): the same kind, the same slot of it, a matching reference. */
function sameDynptr(o: RegState | undefined, c: RegState | undefined, ids: IdMap): boolean {
  return o?.dynptr?.type === c?.dynptr?.type && o?.dynptr?.first === c?.dynptr?.first && ids.check(o?.refObjId ?? 0, c?.refObjId ?? 0);
}

/** `stacksafe`. */
function stacksafe(o: FrameState, c: FrameState, ids: IdMap, exact: boolean, allowUninit: boolean, allPrecise: boolean): boolean {
  for (let spi = 0; spi < o.stack.length; spi++) {
    const os = o.stack[spi], cs = c.stack[spi];
    if (os === undefined) continue;
    if (exact) {
      const cb = cs?.bytes;
      for (let i = 0; i < os.bytes.length; i++) if (os.bytes[i] !== (cb?.[i] ?? 'invalid')) return false;
      if (os.spilled !== undefined && os.bytes[0] === 'spill' && (cs?.spilled === undefined || !regsafe(os.spilled, cs.spilled, ids, true, allPrecise))) return false;
      if (os.bytes[0] === 'dynptr' && !sameDynptr(os.spilled, cs?.spilled, ids)) return false;
      continue;
    }
    if (uninitOrIgnored(os.bytes, allowUninit)) continue;
    if (cs === undefined) return false;
    const or = scalarForStack(os, allowUninit), cr = scalarForStack(cs, allowUninit);
    if (or !== undefined && cr !== undefined) {
      if (!regsafe(or, cr, ids, false, allPrecise)) return false;
      continue;
    }
    for (let i = 0; i < 8; i++) {
      const ob = os.bytes[i] ?? 'invalid', cb = cs.bytes[i] ?? 'invalid';
      if (ob === 'invalid' || (allowUninit && ob === 'misc')) continue;
      if (ob === 'misc' && cb === 'zero') continue;
      if (ob !== cb) return false;
    }
    if (os.bytes[0] === 'spill' && os.spilled !== undefined) {
      if (cs.spilled === undefined || !regsafe(os.spilled, cs.spilled, ids, false, allPrecise)) return false;
    }
    if (os.bytes[0] === 'dynptr' && !sameDynptr(os.spilled, cs.spilled, ids)) return false;
  }
  if (exact) for (let spi = o.stack.length; spi < c.stack.length; spi++) if (!allBytes(c.stack[spi]?.bytes ?? [], 'invalid')) return false;
  return true;
}

/**
 * `states_equal`: the current state is covered by the old one (or, `exact`, identical to it). With
 * `liveIn` (`func_states_equal`), only the registers live where each frame resumes are compared.
 */
export function statesEqual(o: VState, c: VState, exact: boolean, allowUninit: boolean, bpfCapable: boolean, liveIn?: Uint16Array): boolean {
  const allPrecise = !bpfCapable;
  if (o.frames.length !== c.frames.length || o.refs.length !== c.refs.length) return false;
  const ids = sharedIds.reset();
  // `refsafe`: the same lock, then the same references, in the same order.
  if ((o.lock === undefined) !== (c.lock === undefined)) return false;
  if (o.lock !== undefined && c.lock !== undefined && (!ids.check(o.lock.id, c.lock.id) || o.lock.ptr !== c.lock.ptr)) return false;
  for (let i = 0; i < o.refs.length; i++) if (!ids.check(o.refs[i]?.id ?? 0, c.refs[i]?.id ?? 0)) return false;
  for (let i = 0; i < o.frames.length; i++) {
    const of = o.frames[i], cf = c.frames[i];
    if (of === undefined || cf === undefined || of.returnTo !== cf.returnTo || of.subprog !== cf.subprog) return false;
    const at = i === o.frames.length - 1 ? o.insnIdx : (o.frames[i + 1]?.returnTo ?? 0) - 1;
    const live = liveIn === undefined ? 0x3ff : liveIn[at] ?? 0x3ff;
    for (let r = 0; r < 10; r++) {
      if ((live & (1 << r)) !== 0 && !regsafe(of.regs[r] ?? notInit, cf.regs[r] ?? notInit, ids, exact, allPrecise)) return false;
    }
    if (!stacksafe(of, cf, ids, exact, allowUninit, allPrecise)) return false;
  }
  return true;
}

/** `states_maybe_looping`: the registers of the innermost frame are bit-identical. */
export function statesMaybeLooping(o: VState, c: VState): boolean {
  if (o.frames.length !== c.frames.length) return false;
  const of = o.frames[o.frames.length - 1], cf = c.frames[c.frames.length - 1];
  if (of === undefined || cf === undefined) return false;
  const ids = sharedIds.reset();
  for (let r = 0; r < 10; r++) if (!regsafe(of.regs[r] ?? notInit, cf.regs[r] ?? notInit, ids, true, true)) return false;
  return true;
}

/**
 * `clean_verifier_state` of a stored state at `pc`: registers not live where each frame resumes are
 * forgotten (`live_regs_before`), and stack slots the stack liveness analysis finds dead
 * (`bpf_stack_slot_alive`) become STACK_INVALID.
 */
export function cleanDeadRegs(s: VState, pc: number, liveIn: Uint16Array, slotAlive: (frameno: number, spi: number) => boolean): void {
  const last = s.frames.length - 1;
  // Each frame resumes at `pc` (innermost) or after the call it made.
  // A callback's caller resumes at the helper call itself, which reads its arguments again.
  const toCall = (i: number): boolean => s.frames[i + 1]?.callback !== undefined;
  const resume = (i: number): number => (i === last ? pc : (s.frames[i + 1]?.returnTo ?? pc + 1) - (toCall(i) ? 1 : 0));
  s.frames.forEach((f, i) => {
    // A caller's r0-r5 are overwritten by the call before it resumes.
    const live = i === last ? liveIn[pc] ?? 0x3ff : (liveIn[resume(i)] ?? 0x3ff) & (toCall(i) ? 0x3ff : ~0x3f);
    for (let r = 0; r < 10; r++) if ((live & (1 << r)) === 0) f.regs[r] = notInit;
    f.stack.forEach((slot, spi) => {
      if (slotAlive(i, spi) || slot.bytes.every((b) => b === 'invalid')) return;
      f.stack[spi] = { bytes: ['invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid'] };
    });
  });
}
