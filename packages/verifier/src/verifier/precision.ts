import { formatLogInsn } from '@bpfkit/asm';
import type { VerifierEnv } from './env.js';
import { ALU, ALU64, CALL, cls, EXIT, isSyncCallbackCall, JA, JMP, JMP32, LD, LDX, mode, op, PSEUDO_CALL, srcX, ST, STX } from './insns.js';
import { kfuncCallName, PSEUDO_KFUNC_CALL } from './kfunc-meta.js';
import type { Checkpoint } from './prune.js';
import { formatFrameState } from './state-log.js';
import { regConst, type HistEntry, type LinkedReg, type RegState, type VState } from './state.js';

const MAX_FRAMES = 8;
const FP = 10;
/** `BPF_LOAD_ACQ`: an atomic that only loads. */
const LOAD_ACQ = 0x100;
/** `BPF_ATOMIC` mode, and the `BPF_FETCH` flag and `BPF_CMPXCHG` operation of its imm. */
const ATOMIC = 0xc0;
const FETCH = 0x01;
const CMPXCHG = 0xf1;

/**
 * `struct backtrack_state`: the registers and stack slots, per frame, whose value is still being
 * traced back to where it was set.
 */
class Backtrack {
  frame = 0;
  readonly regs: number[] = new Array<number>(MAX_FRAMES).fill(0);
  /** The 64 stack slots of each frame, slots 0-31 and 32-63 (two numbers: no bigint per bit test). */
  private readonly stackLo: number[] = new Array<number>(MAX_FRAMES).fill(0);
  private readonly stackHi: number[] = new Array<number>(MAX_FRAMES).fill(0);

  empty(): boolean {
    for (let i = 0; i <= this.frame; i++) if (this.regs[i] !== 0 || this.stackLo[i] !== 0 || this.stackHi[i] !== 0) return false;
    return true;
  }
  hasReg(r: number, fr = this.frame): boolean {
    return ((this.regs[fr] ?? 0) & (1 << r)) !== 0;
  }
  setReg(r: number, fr = this.frame): void {
    this.regs[fr] = (this.regs[fr] ?? 0) | (1 << r);
  }
  clearReg(r: number, fr = this.frame): void {
    this.regs[fr] = (this.regs[fr] ?? 0) & ~(1 << r);
  }
  hasSlot(spi: number, fr = this.frame): boolean {
    const half = spi < 32 ? this.stackLo : this.stackHi;
    return ((half[fr] ?? 0) & (1 << (spi & 31))) !== 0;
  }
  setSlot(spi: number, fr = this.frame): void {
    const half = spi < 32 ? this.stackLo : this.stackHi;
    half[fr] = (half[fr] ?? 0) | (1 << (spi & 31));
  }
  clearSlot(spi: number, fr = this.frame): void {
    const half = spi < 32 ? this.stackLo : this.stackHi;
    half[fr] = (half[fr] ?? 0) & ~(1 << (spi & 31));
  }
  /** Forgets every register and slot of a frame. */
  clearFrame(fr = this.frame): void {
    this.regs[fr] = 0;
    this.stackLo[fr] = 0;
    this.stackHi[fr] = 0;
  }
  /** Whether any slot of the frame is traced. */
  anySlot(fr: number): boolean {
    return (this.stackLo[fr] ?? 0) !== 0 || (this.stackHi[fr] ?? 0) !== 0;
  }
  /** Back to nothing traced, frame 0 (one instance serves every backtracking: it never nests). */
  reset(): this {
    this.frame = 0;
    for (let i = 0; i < MAX_FRAMES; i++) {
      this.regs[i] = 0;
      this.stackLo[i] = 0;
      this.stackHi[i] = 0;
    }
    return this;
  }
  /** The frame's slots as one 64-bit mask (for the log). */
  stackMask(fr = this.frame): bigint {
    return (BigInt((this.stackHi[fr] ?? 0) >>> 0) << 32n) | BigInt((this.stackLo[fr] ?? 0) >>> 0);
  }
}

const sharedBacktrack = new Backtrack();

/** `fmt_reg_mask`: `r1,r6`. */
function regMaskStr(mask: number): string {
  const out: string[] = [];
  for (let i = 0; i < 11; i++) if ((mask & (1 << i)) !== 0) out.push(`r${String(i)}`);
  return out.join(',');
}

/** `bpf_fmt_stack_mask`: `-8,-16`. */
function stackMaskStr(mask: bigint): string {
  const out: string[] = [];
  for (let i = 0; i < 64; i++) if ((mask & (1n << BigInt(i))) !== 0n) out.push(String(-(i + 1) * 8));
  return out.join(',');
}

function linkedSet(bt: Backtrack, l: LinkedReg): boolean {
  return l.isReg ? bt.hasReg(l.index, l.frame) : bt.hasSlot(l.index, l.frame);
}

/** `bt_sync_linked_regs`: registers that shared a scalar id at a branch are traced together. */
function syncLinkedRegs(bt: Backtrack, hist: HistEntry | undefined): void {
  const linked = hist?.linked;
  if (linked === undefined || !linked.some((l) => linkedSet(bt, l))) return;
  for (const l of linked) {
    if (l.isReg) bt.setReg(l.index, l.frame);
    else bt.setSlot(l.index, l.frame);
  }
}

/** Thrown by backtracking when an instruction cannot be traced (`-ENOTSUPP`): everything becomes precise. */
class NotSupported extends Error {}

/** `backtrack_insn`: walks one instruction backwards, moving the traced set from its outputs to its inputs. */
function backtrackInsn(env: VerifierEnv, idx: number, subseqIdx: number, hist: HistEntry | undefined, bt: Backtrack): void {
  const insn = env.insns[idx];
  if (insn === undefined || insn.code === 0) return;
  if (env.log.level2) {
    env.log.line(`mark_precise: frame${String(bt.frame)}: regs=${regMaskStr(bt.regs[bt.frame] ?? 0)} stack=${stackMaskStr(bt.stackMask())} before ${String(idx)}: ${formatLogInsn(insn, { allowPtrLeaks: env.privileges.allowPtrLeaks, callName: kfuncCallName(env.req) })}`);
  }
  syncLinkedRegs(bt, hist);
  const c = cls(insn.code), o = op(insn.code);
  const d = insn.dst, s = insn.src;
  if (c === ALU || c === ALU64) {
    if (!bt.hasReg(d)) return;
    if (o === 0xd0 || o === 0x80) return;
    if (o === 0xb0) {
      bt.clearReg(d);
      if (srcX(insn.code) && s !== FP) bt.setReg(s);
    } else if (srcX(insn.code) && s !== FP) {
      bt.setReg(s);
    }
  } else if (c === LDX || (c === STX && mode(insn.code) === ATOMIC && (insn.imm === LOAD_ACQ || (insn.imm & FETCH) !== 0))) {
    // An atomic fetch loads the old value into src (r0 for cmpxchg): from the stack, a fill like any load.
    const load = c === STX && insn.imm !== LOAD_ACQ ? (insn.imm === CMPXCHG ? 0 : s) : d;
    if (!bt.hasReg(load)) return;
    bt.clearReg(load);
    if (hist?.stack === undefined) return;
    bt.setSlot(hist.stack.spi, hist.stack.frame);
  } else if (c === STX || c === ST) {
    if (bt.hasReg(d)) throw new NotSupported();
    const sa = hist?.stack;
    if (sa === undefined || !bt.hasSlot(sa.spi, sa.frame)) return;
    bt.clearSlot(sa.spi, sa.frame);
    if (c === STX) bt.setReg(s);
  } else if (c === JMP || c === JMP32) {
    if (o === CALL && s === PSEUDO_CALL && env.globals.has(env.subprogs.indexOf(idx + insn.imm + 1))) {
      // A global function was not walked here: it sets R0, and r1-r5 are dead after it.
      bt.clearReg(0);
      return;
    }
    if (o === CALL && s === PSEUDO_CALL) {
      // Leaving the callee backwards: only its arguments can still be traced, in the caller.
      for (let i = 1; i <= 5; i++) {
        if (!bt.hasReg(i)) continue;
        bt.clearReg(i);
        bt.setReg(i, bt.frame - 1);
      }
      bt.clearFrame();
      if (bt.frame > 0) bt.frame--;
      return;
    }
    if (o === CALL && isSyncCallbackCall(insn) && idx !== subseqIdx - 1) {
      // Backwards out of a callback's entry into the helper that called it: its r1-r5 came from the helper.
      for (let i = 1; i <= 5; i++) bt.clearReg(i);
      bt.clearFrame();
      if (bt.frame > 0) bt.frame--;
      return;
    }
    if (o === CALL) {
      // A kfunc call with id 0 is refused after the walk; backtracking through it gives up (`-ENOTSUPP`).
      if (s === PSEUDO_KFUNC_CALL && insn.imm === 0) throw new NotSupported();
      bt.clearReg(0);
      return;
    }
    if (o === EXIT) {
      // A callback returns to its helper call, which sets r1-r5 again: the corpus's build stops tracing them
      // here. The later builds (with callback loops) keep them traced through the callback's body back to the
      // helper call and on to where the caller set them, as their logs show.
      const next = env.insns[subseqIdx];
      if (!env.callbackLoops && subseqIdx >= 0 && next !== undefined && isSyncCallbackCall(next)) for (let i = 1; i <= 5; i++) bt.clearReg(i);
      const prev = env.insns[subseqIdx - 1];
      const r0 = subseqIdx - 1 >= 0 && prev !== undefined && op(prev.code) === CALL && cls(prev.code) === JMP && prev.src === PSEUDO_CALL && bt.hasReg(0);
      bt.clearReg(0);
      if (bt.frame + 1 >= MAX_FRAMES) throw new NotSupported();
      bt.frame++;
      bt.clearFrame();
      if (r0) bt.setReg(0);
      return;
    }
    if (o !== JA && srcX(insn.code)) {
      if (!bt.hasReg(d) && !bt.hasReg(s)) return;
      if (hist?.stackRegs?.src !== true) bt.setReg(s);
      if (hist?.stackRegs?.dst !== true) bt.setReg(d);
    }
  } else if (c === LD) {
    if (!bt.hasReg(d)) return;
    bt.clearReg(d);
    const m = mode(insn.code);
    if (m === 0x20 || m === 0x40) throw new NotSupported();
  }
  syncLinkedRegs(bt, hist);
}

/** `mark_all_scalars_precise`: the fallback when backtracking cannot follow the program. */
export function markAllScalarsPrecise(env: VerifierEnv, cur: VState): void {
  const log = env.log;
  if (log.level2) log.line(`mark_precise: frame${String(cur.frames.length - 1)}: falling back to forcing all scalars precise`);
  for (let cp = env.curParent; cp !== undefined; cp = cp.parent) {
    cp.state.frames.forEach((f, i) => {
      for (let j = 0; j < FP; j++) {
        const r = f.regs[j];
        if (r?.type !== 'scalar' || r.precise === true) continue;
        f.regs[j] = { ...r, precise: true };
        if (log.level2) log.line(`force_precise: frame${String(i)}: forcing r${String(j)} to be precise`);
      }
      f.stack.forEach((slot, j) => {
        const r = slot.spilled;
        if (slot.bytes[0] !== 'spill' || r?.type !== 'scalar' || r.precise === true) return;
        slot.spilled = { ...r, precise: true };
        if (log.level2) log.line(`force_precise: frame${String(i)}: forcing fp${String(-(j + 1) * 8)} to be precise`);
      });
    });
  }
}

/** `get_prev_insn_idx`: the instruction executed before `i`, or -1 at the start of the state's segment. */
function prevInsnIdx(st: VState, i: number, h: { n: number }): number {
  const last = st.hist[h.n - 1];
  if (i === st.firstIdx) {
    if (h.n === 0) return -1;
    if (h.n === 1 && last?.idx === i) return -1;
  }
  if (h.n > 0 && last?.idx === i) {
    h.n--;
    return last.prevIdx;
  }
  return i - 1;
}

/**
 * `__mark_chain_precision`: traces the registers and slots in `bt` back through the current path
 * segment and the stored states above it, marking them precise in each stored state on the way.
 */
function markChain(env: VerifierEnv, cur: VState, bt: Backtrack, startParent: Checkpoint | undefined = env.curParent): void {
  const log = env.log;
  let st: VState = cur;
  let cp: Checkpoint | undefined;
  let firstIdx = st.firstIdx;
  let lastIdx = st.insnIdx;
  let subseqIdx = -1;
  let skipFirst = true;
  if (bt.empty()) return;
  try {
    for (;;) {
      if (log.level2) {
        log.line(`mark_precise: frame${String(bt.frame)}: last_idx ${String(lastIdx)} first_idx ${String(firstIdx)} subseq_idx ${String(subseqIdx)} `);
      }
      if (lastIdx < 0) return;
      const h = { n: st.hist.length };
      for (let i = lastIdx; ;) {
        if (skipFirst) skipFirst = false;
        else {
          const e = st.hist[h.n - 1];
          backtrackInsn(env, i, subseqIdx, h.n > 0 && e?.idx === i ? e : undefined, bt);
        }
        if (bt.empty()) return;
        subseqIdx = i;
        i = prevInsnIdx(st, i, h);
        if (i < 0) break;
      }
      cp = cp === undefined ? startParent : cp.parent;
      if (cp === undefined) break;
      st = cp.state;
      for (let fr = bt.frame; fr >= 0; fr--) {
        const func = st.frames[fr];
        if (func === undefined) continue;
        for (let i = 0; i < FP; i++) {
          if (!bt.hasReg(i, fr)) continue;
          const r = func.regs[i];
          if (r?.type !== 'scalar') { bt.clearReg(i, fr); continue; }
          if (r.precise === true) bt.clearReg(i, fr);
          else {
            func.regs[i] = { ...r, precise: true };
            marksSet++;
          }
        }
        for (let i = 0; i < 64 && bt.anySlot(fr); i++) {
          if (!bt.hasSlot(i, fr)) continue;
          const slot = func.stack[i];
          const r = slot?.spilled;
          if (slot === undefined || slot.bytes[0] !== 'spill' || r?.type !== 'scalar') { bt.clearSlot(i, fr); continue; }
          if (r.precise === true) bt.clearSlot(i, fr);
          else {
            slot.spilled = { ...r, precise: true };
            marksSet++;
          }
        }
        if (log.level2) {
          log.line(`mark_precise: frame${String(fr)}: parent state regs=${regMaskStr(bt.regs[fr] ?? 0)} stack=${stackMaskStr(bt.stackMask(fr))}: ${formatFrameState(env, st, fr, true)}`);
        }
      }
      if (bt.empty()) return;
      subseqIdx = firstIdx;
      lastIdx = st.lastIdx;
      firstIdx = st.firstIdx;
    }
  } catch (e) {
    if (!(e instanceof NotSupported)) throw e;
    markAllScalarsPrecise(env, cur);
    return;
  }
  if (!bt.empty()) markAllScalarsPrecise(env, cur);
}

/** `mark_chain_precision`: the exact value of scalar register `regno` of the current state matters. */
export function markChainPrecision(env: VerifierEnv, cur: VState, regno: number): void {
  if (!env.privileges.bpfCapable) return;
  const bt = sharedBacktrack.reset();
  bt.frame = cur.frames.length - 1;
  const r = cur.frames[bt.frame]?.regs[regno];
  if (r?.type !== 'scalar') return;
  bt.setReg(regno);
  markChain(env, cur, bt);
}

/** Marks a stack slot of frame `frame` precise (`bt_set_frame_slot` + `mark_chain_precision_batch`). */
export function markSlotPrecision(env: VerifierEnv, cur: VState, frame: number, spi: number): void {
  if (!env.privileges.bpfCapable) return;
  const bt = sharedBacktrack.reset();
  bt.frame = cur.frames.length - 1;
  bt.setSlot(spi, frame);
  markChain(env, cur, bt);
}

/**
 * `propagate_precision`: the current state was pruned by `old`, so whatever `old` needed precise
 * the current path needs precise as well.
 */
/** Precision marks set in stored states so far (`*changed` of `__mark_chain_precision`): a fixed point shows as no change. */
let marksSet = 0;
export const precisionMarksSet = (): number => marksSet;

export function propagatePrecision(env: VerifierEnv, old: VState, cur: VState, parent: Checkpoint | undefined = env.curParent): void {
  if (!env.privileges.bpfCapable) return;
  const bt = sharedBacktrack.reset();
  bt.frame = cur.frames.length - 1;
  for (let fr = old.frames.length - 1; fr >= 0; fr--) {
    const f = old.frames[fr];
    if (f === undefined) continue;
    const level2 = env.log.level2;
    const names: string[] = [];
    for (let i = 0; i < FP; i++) {
      const r = f.regs[i];
      if (r?.type !== 'scalar' || r.precise !== true) continue;
      if (level2) names.push(`r${String(i)}`);
      bt.setReg(i, fr);
    }
    f.stack.forEach((slot, i) => {
      const r = slot.spilled;
      if (slot.bytes[0] !== 'spill' || r?.type !== 'scalar' || r.precise !== true) return;
      if (level2) names.push(`fp${String(-(i + 1) * 8)}`);
      bt.setSlot(i, fr);
    });
    if (names.length > 0) env.log.line(`frame ${String(fr)}: propagating ${names.join(',')}`);
  }
  markChain(env, cur, bt, parent);
}

/**
 * A NULL given where an argument may be NULL (a helper's, a global function's trusted one): the type
 * check is skipped on the value 0, so the later 6.18 builds (`callbackLoops`) make it precise, as
 * their logs show; the corpus's build does not.
 */
export function markNullArgPrecise(env: VerifierEnv, state: VState, regno: number, reg: RegState): void {
  if (env.callbackLoops && reg.type === 'scalar' && regConst(reg) === 0n) markChainPrecision(env, state, regno);
}
