import type { Insn } from '@bpfkit/asm';
import { helperProto } from './helper-protos.js';
import { ALU, ALU64, CALL, cls, EXIT, isPseudoFunc, isSyncCallbackCall, JA, JCOND, JMP, JMP32, jumpTarget, LD, LD_IMM64, LDX, mode, op, PSEUDO_CALL, srcX, ST, STX } from './insns.js';

const bit = (r: number): number => 1 << r;
const R0_5 = 0x3f, R1_5 = 0x3e, ALL = 0x3ff;

/**
 * The argument registers a call reads (its prototype's parameter count), when known: a helper the
 * program type may call, a kfunc with a prototype. Undefined leaves the kernel's default, r1-r5.
 */
export type CallArgCount = (insn: Insn) => number | undefined;

/** Packs the read and written register masks of {@link useDef} in one number (nothing allocated per instruction). */
const ud = (use: number, def: number): number => use | (def << 16);

/**
 * Registers an instruction reads and writes (`compute_insn_live_regs`), as bit masks of r0-r9:
 * the read mask in the low 16 bits, the written one above.
 */
function useDef(insn: Insn, callArgs?: CallArgCount): number {
  const c = cls(insn.code);
  const o = op(insn.code);
  const d = bit(insn.dst), s = bit(insn.src);
  switch (c) {
    case ALU:
    case ALU64:
      if (o === 0xb0) return ud(srcX(insn.code) ? s : 0, d);
      if (o === 0x80 || o === 0xd0) return ud(d, d);
      return ud(d | (srcX(insn.code) ? s : 0), d);
    case LDX:
      return ud(s, d);
    case ST:
      return ud(d, 0);
    case STX:
      if (mode(insn.code) === 0xc0) {
        const fetch = (insn.imm & 1) !== 0;
        if (insn.imm === 0xf1) return ud(d | s | bit(0), bit(0));
        return ud(d | s, fetch ? s : 0);
      }
      return ud(d | s, 0);
    case LD:
      if (insn.code === LD_IMM64) return ud(0, d);
      // The legacy packet loads keep the defaults: every register read, none written.
      return ud(ALL, 0);
    case JMP:
    case JMP32:
      if (o === EXIT) return ud(bit(0), 0);
      if (o === CALL) {
        // A call reads only its declared arguments (`get_call_summary`); anything else may read r1-r5.
        const args = callArgs !== undefined ? callArgs(insn) : insn.src === 0 ? helperProto(insn.imm)?.args.length : undefined;
        return ud(args === undefined ? R1_5 : ((1 << (args + 1)) - 2) & R1_5, R0_5);
      }
      // `ja` and `may_goto` read no register.
      if (o === JA || o === JCOND) return ud(0, 0);
      return ud(d | (srcX(insn.code) ? s : 0), 0);
    default:
      return ud(0, 0);
  }
}

/** `bpf_insn_successors`: the fall-through first, then the jump target. */
export function successors(insns: readonly Insn[], pc: number): number[] {
  const insn = insns[pc];
  if (insn === undefined) return [];
  const c = cls(insn.code);
  if (insn.code === LD_IMM64) return [pc + 2];
  if (c !== JMP && c !== JMP32) return [pc + 1];
  const o = op(insn.code);
  if (o === EXIT) return [];
  if (o === CALL) return [pc + 1];
  if (o === JA) return [jumpTarget(insn, pc)];
  return [pc + 1, jumpTarget(insn, pc)];
}

/**
 * The instruction graph of a program, built once and shared by the passes over it. `succ` holds
 * {@link successors} of every instruction in one flat table, without an array per instruction:
 * entries 2*pc and 2*pc+1 hold its successors in the same order, -1 where there are fewer than two.
 * `forward` says no edge leads back (every successor is past its instruction), so one pass in
 * instruction order, or against it, settles a flow problem.
 */
export interface FlowGraph {
  readonly succ: Int32Array;
  readonly forward: boolean;
}

const graphs = new WeakMap<readonly Insn[], FlowGraph>();

/** The {@link FlowGraph} of `insns` (kept per program: the instructions do not change once decoded). */
export function flowGraph(insns: readonly Insn[]): FlowGraph {
  let graph = graphs.get(insns);
  if (graph === undefined) {
    const succ = buildSuccessorTable(insns);
    graph = { succ, forward: allEdgesForward(succ) };
    graphs.set(insns, graph);
  }
  return graph;
}

/** The successor table of {@link flowGraph} (read only: it is shared). */
export function successorTable(insns: readonly Insn[]): Int32Array {
  return flowGraph(insns).succ;
}

function allEdgesForward(succ: Int32Array): boolean {
  for (let k = 0; k < succ.length; k++) {
    const t = succ[k] as number;
    if (t >= 0 && t <= k >> 1) return false;
  }
  return true;
}

function buildSuccessorTable(insns: readonly Insn[]): Int32Array {
  const n = insns.length;
  const t = new Int32Array(2 * n).fill(-1);
  for (let pc = 0; pc < n; pc++) {
    const insn = insns[pc] as Insn;
    const c = cls(insn.code);
    if (insn.code === LD_IMM64) { t[2 * pc] = pc + 2; continue; }
    if (c !== JMP && c !== JMP32) { t[2 * pc] = pc + 1; continue; }
    const o = op(insn.code);
    if (o === EXIT) continue;
    if (o === CALL) { t[2 * pc] = pc + 1; continue; }
    if (o === JA) { t[2 * pc] = jumpTarget(insn, pc); continue; }
    t[2 * pc] = pc + 1;
    t[2 * pc + 1] = jumpTarget(insn, pc);
  }
  return t;
}

/**
 * `compute_live_registers`: for each instruction, the registers whose value may still be read
 * (bit i = ri live before the instruction). A stored state ignores dead registers.
 */
export function computeLiveRegs(insns: readonly Insn[], callArgs?: CallArgCount): Uint16Array {
  const n = insns.length;
  const liveIn = new Uint16Array(n);
  const useDefs = new Int32Array(n);
  for (let pc = 0; pc < n; pc++) useDefs[pc] = useDef(insns[pc] as Insn, callArgs);
  const { succ, forward } = flowGraph(insns);
  let changed = true;
  while (changed) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      const t0 = succ[2 * pc] as number, t1 = succ[2 * pc + 1] as number;
      const out = (t0 < 0 ? 0 : liveIn[t0] ?? 0) | (t1 < 0 ? 0 : liveIn[t1] ?? 0);
      const u = useDefs[pc] as number;
      const v = (u & 0xffff) | (out & ~(u >>> 16));
      if (v !== liveIn[pc]) { liveIn[pc] = v; changed = true; }
    }
    // Without back edges every successor was final before its instruction: one pass is the fixed point.
    if (forward) break;
  }
  return liveIn;
}

/** Prune points (`mark_prune_point` in `visit_insn`): conditional jumps, jump targets, after calls, call sites. */
export function computePrunePoints(insns: readonly Insn[]): Uint8Array {
  const p = new Uint8Array(insns.length + 1);
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc] as Insn;
    const c = cls(insn.code);
    if (isPseudoFunc(insn)) {
      p[pc] = 1;
      p[pc + 2] = 1;
      const t = pc + insn.imm + 1;
      if (t >= 0 && t < p.length) p[t] = 1;
      continue;
    }
    if (insn.code === LD_IMM64 || (c !== JMP && c !== JMP32)) continue;
    const o = op(insn.code);
    if (o === EXIT) continue;
    if (o === CALL) {
      p[pc + 1] = 1;
      if (insn.src === PSEUDO_CALL || isSyncCallbackCall(insn)) p[pc] = 1;
      // The callee's entry is a branch target of the CFG walk.
      if (insn.src === PSEUDO_CALL) {
        const t = pc + insn.imm + 1;
        if (t >= 0 && t < p.length) p[t] = 1;
      }
      continue;
    }
    const t = jumpTarget(insn, pc);
    if (t >= 0 && t < p.length) p[t] = 1;
    if (o !== JA) p[pc] = 1;
  }
  return p;
}

/** Jump points (`mark_jmp_point`): jump targets, subprogram entries and the instruction after every call. */
export function computeJmpPoints(insns: readonly Insn[]): Uint8Array {
  const p = new Uint8Array(insns.length + 1);
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc] as Insn;
    const c = cls(insn.code);
    if (isPseudoFunc(insn)) {
      p[pc + 2] = 1;
      const t = pc + insn.imm + 1;
      if (t >= 0 && t < p.length) p[t] = 1;
      continue;
    }
    if (insn.code === LD_IMM64 || (c !== JMP && c !== JMP32)) continue;
    const o = op(insn.code);
    if (o === EXIT) continue;
    if (o === CALL) {
      p[pc + 1] = 1;
      // A callback returns to the call itself.
      if (isSyncCallbackCall(insn)) p[pc] = 1;
      if (insn.src === PSEUDO_CALL) {
        const t = pc + insn.imm + 1;
        if (t >= 0 && t < p.length) p[t] = 1;
      }
      continue;
    }
    const t = jumpTarget(insn, pc);
    if (t >= 0 && t < p.length) p[t] = 1;
  }
  return p;
}

/** Registers that may hold a pointer into the stack before each instruction (r10 and what is derived from it). */
function maybeStackPointers(insns: readonly Insn[], subprogStarts: readonly number[]): Uint16Array {
  const n = insns.length;
  const inRegs = new Uint16Array(n);
  const seen = new Uint8Array(n);
  const graph = flowGraph(insns);
  // A stack pointer stored anywhere may come back through any 64-bit load.
  for (let loadsFp = false; ; loadsFp = true) {
    const work: number[] = [0];
    inRegs[0] = bit(10);
    seen[0] = 1;
    for (const s of subprogStarts) {
      if (s <= 0 || s >= n) continue;
      inRegs[s] = bit(10) | R1_5;
      seen[s] = 1;
      work.push(s);
    }
    const storesFp = graph.forward
      ? propagateStackPointersForward(insns, graph.succ, inRegs, seen, loadsFp)
      : propagateStackPointers(insns, graph.succ, inRegs, seen, work, loadsFp);
    if (!storesFp || loadsFp) return inRegs;
    inRegs.fill(0);
    seen.fill(0);
  }
}

/** The stack-pointer registers after `insn`, from those before it (`inp`). */
function stackPointersOut(insn: Insn, inp: number, loadsFp: boolean): number {
  let out = inp;
  const c = cls(insn.code), o = op(insn.code);
  const d = bit(insn.dst), s = bit(insn.src);
  if (c === ALU64 && (o === 0x00 || o === 0x10)) { if (srcX(insn.code) && (inp & s) !== 0) out |= d; }
  else if (c === ALU64 && o === 0xb0 && srcX(insn.code) && insn.off === 0) out = (inp & s) !== 0 ? out | d : out & ~d;
  else if (c === ALU || c === ALU64) out &= ~d;
  else if (c === LDX) out = loadsFp && (insn.code & 0x18) === 0x18 ? out | d : out & ~d;
  else if (c === LD) out &= insn.code === LD_IMM64 ? ~d : ~R0_5;
  else if ((c === JMP || c === JMP32) && o === CALL) out = (out & ~R0_5) | (insn.src === PSEUDO_CALL ? bit(0) : 0);
  if (c === STX && mode(insn.code) === 0xc0 && (insn.imm & 1) !== 0) out = (out & ~s & ~bit(0)) | (loadsFp ? s | bit(0) : 0);
  return out;
}

/** `insn` stores a register that may point into the stack. */
const storesStackPointer = (insn: Insn, inp: number): boolean => cls(insn.code) === STX && (inp & bit(insn.src)) !== 0;

/**
 * One instruction's step of the flow: the registers that may point into the stack after it are
 * added to each successor's; a successor whose set grew is pushed on `grown` (when given). True when
 * the instruction stores a stack pointer.
 */
function spreadStackPointers(
  insns: readonly Insn[], succ: Int32Array, inRegs: Uint16Array, seen: Uint8Array, pc: number, loadsFp: boolean, grown?: number[],
): boolean {
  const insn = insns[pc];
  if (insn === undefined) return false;
  const inp = inRegs[pc] ?? 0;
  const out = stackPointersOut(insn, inp, loadsFp);
  for (let k = 2 * pc; k < 2 * pc + 2; k++) {
    const t = succ[k] as number;
    if (t < 0 || t >= insns.length) continue;
    const merged = (inRegs[t] ?? 0) | out;
    if (seen[t] === 1 && merged === inRegs[t]) continue;
    inRegs[t] = merged;
    seen[t] = 1;
    grown?.push(t);
  }
  return storesStackPointer(insn, inp);
}

/** Spreads the seeded registers along every edge until nothing changes; true when a stack pointer is stored. */
function propagateStackPointers(insns: readonly Insn[], succ: Int32Array, inRegs: Uint16Array, seen: Uint8Array, work: number[], loadsFp: boolean): boolean {
  let storesFp = false;
  while (work.length > 0) {
    if (spreadStackPointers(insns, succ, inRegs, seen, work.pop() ?? 0, loadsFp, work)) storesFp = true;
  }
  return storesFp;
}

/** {@link propagateStackPointers} for a graph without back edges: in instruction order each one is final when reached. */
function propagateStackPointersForward(insns: readonly Insn[], succ: Int32Array, inRegs: Uint16Array, seen: Uint8Array, loadsFp: boolean): boolean {
  let storesFp = false;
  for (let pc = 0; pc < insns.length; pc++) {
    if (seen[pc] === 1 && spreadStackPointers(insns, succ, inRegs, seen, pc, loadsFp)) storesFp = true;
  }
  return storesFp;
}

/**
 * Per instruction, the stack slots that may still be read, as two 32-bit words: bit i of `lo` is the
 * slot at fp-8*(i+1), bit i of `hi` the slot at fp-8*(i+33). Index `insns.length` is past the end.
 */
export interface LiveSlots {
  readonly lo: Uint32Array;
  readonly hi: Uint32Array;
}

/** Whether slot `spi` (fp-8*(spi+1)) may still be read at `pc`; past the program's end every slot is. */
export function slotIsLive(live: LiveSlots, pc: number, spi: number): boolean {
  if (pc < 0 || pc >= live.lo.length) return true;
  const word = spi < 32 ? live.lo[pc] ?? 0 : live.hi[pc] ?? 0;
  return ((word >>> (spi & 31)) & 1) !== 0;
}

/** Bytes of each BPF_SIZE, by `(code & 0x18) >> 3`. */
const SIZE_BYTES = Int8Array.of(4, 2, 1, 8);

/** Sets in `lo`/`hi` at `pc` the slots of the bytes [off, off+size) below the frame pointer. */
function markSlots(lo: Uint32Array, hi: Uint32Array, pc: number, off: number, size: number): void {
  for (let at = off; at < off + size; at++) {
    if (at >= 0 || at < -512) continue;
    const spi = Math.floor((-at - 1) / 8);
    if (spi < 32) lo[pc] = (lo[pc] ?? 0) | (1 << spi);
    else hi[pc] = (hi[pc] ?? 0) | (1 << (spi - 32));
  }
}

/** The registers through which a call may pass a stack pointer: the callee's arguments (a subprogram may take all five). */
function callArgRegs(call: Insn, callArgs: CallArgCount | undefined): number {
  const args = call.src === PSEUDO_CALL ? undefined : callArgs?.(call);
  return args === undefined || args >= 5 ? R1_5 : ((1 << (args + 1)) - 2);
}

/**
 * Whether {@link computeLiveSlots} needs {@link maybeStackPointers}: some load not from r10, atomic
 * not on r10, or call taking arguments.
 */
function asksForStackPointers(insns: readonly Insn[], callArgs: CallArgCount | undefined): boolean {
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc] as Insn;
    const c = cls(insn.code);
    if (c === LDX && insn.src !== 10) return true;
    if (c === STX && mode(insn.code) === 0xc0 && insn.dst !== 10) return true;
    if ((c === JMP || c === JMP32) && op(insn.code) === CALL && callArgRegs(insn, callArgs) !== 0) return true;
  }
  return false;
}

/**
 * Stack slots whose contents may still be read, per instruction, within its own frame (the kernel's
 * stack liveness, computed statically): r10-based accesses are exact; a load, an atomic or a call
 * through any other possible stack pointer (for a call: in one of its argument registers) reads every slot.
 */
export function computeLiveSlots(insns: readonly Insn[], subprogStarts: readonly number[], callArgs?: CallArgCount): LiveSlots {
  const n = insns.length;
  // Without an access that asks, which registers may point into the stack matters nowhere.
  const fpRegs = asksForStackPointers(insns, callArgs) ? maybeStackPointers(insns, subprogStarts) : undefined;
  const useLo = new Uint32Array(n), useHi = new Uint32Array(n);
  const defLo = new Uint32Array(n), defHi = new Uint32Array(n);
  let reads = false;
  const useAll = (pc: number): void => { useLo[pc] = 0xffffffff; useHi[pc] = 0xffffffff; reads = true; };
  const useBytes = (pc: number, off: number, sz: number): void => { markSlots(useLo, useHi, pc, off, sz); reads = true; };
  for (let pc = 0; pc < n; pc++) {
    const insn = insns[pc];
    if (insn === undefined) continue;
    const c = cls(insn.code), o = op(insn.code);
    const fp = fpRegs?.[pc] ?? 0;
    const sz = SIZE_BYTES[(insn.code & 0x18) >> 3] ?? 8;
    if (c === LDX) {
      if (insn.src === 10) useBytes(pc, insn.off, sz);
      else if ((fp & bit(insn.src)) !== 0) useAll(pc);
    } else if (c === ST || c === STX) {
      const atomic = c === STX && mode(insn.code) === 0xc0;
      if (insn.dst === 10) {
        if (atomic) useBytes(pc, insn.off, sz);
        else if (sz === 8 && insn.off % 8 === 0) markSlots(defLo, defHi, pc, insn.off, 8);
      } else if (atomic && (fp & bit(insn.dst)) !== 0) useAll(pc);
    } else if ((c === JMP || c === JMP32) && o === CALL) {
      if ((fp & callArgRegs(insn, callArgs)) !== 0) useAll(pc);
    }
  }
  const lo = new Uint32Array(n + 1), hi = new Uint32Array(n + 1);
  // No slot is ever read: none is live anywhere.
  if (!reads) return { lo, hi };
  const { succ, forward } = flowGraph(insns);
  let changed = true;
  while (changed) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      const t0 = succ[2 * pc] as number, t1 = succ[2 * pc + 1] as number;
      const outLo = (t0 < 0 ? 0 : lo[t0] ?? 0) | (t1 < 0 ? 0 : lo[t1] ?? 0);
      const outHi = (t0 < 0 ? 0 : hi[t0] ?? 0) | (t1 < 0 ? 0 : hi[t1] ?? 0);
      const vLo = ((useLo[pc] ?? 0) | (outLo & ~(defLo[pc] ?? 0))) >>> 0;
      const vHi = ((useHi[pc] ?? 0) | (outHi & ~(defHi[pc] ?? 0))) >>> 0;
      if (vLo !== lo[pc] || vHi !== hi[pc]) {
        lo[pc] = vLo;
        hi[pc] = vHi;
        changed = true;
      }
    }
    if (forward) break;
  }
  return { lo, hi };
}
