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
