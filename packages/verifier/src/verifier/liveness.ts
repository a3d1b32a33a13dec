import type { Insn } from '@bpfkit/asm';
import { ALU, ALU64, CALL, cls, EXIT, JA, JMP, JMP32, jumpTarget, LD, LD_IMM64, LDX, mode, op, PSEUDO_CALL, srcX, ST, STX } from './insns.js';

const bit = (r: number): number => 1 << r;
const R0_5 = 0x3f, R1_5 = 0x3e;

/** Registers an instruction reads and writes (`compute_insn_live_regs`), as bit masks of r0-r9. */
function useDef(insn: Insn): { use: number; def: number } {
  const c = cls(insn.code);
  const o = op(insn.code);
  const d = bit(insn.dst), s = bit(insn.src);
  switch (c) {
    case ALU:
    case ALU64:
      if (o === 0xb0) return { use: srcX(insn.code) ? s : 0, def: d };
      if (o === 0x80 || o === 0xd0) return { use: d, def: d };
      return { use: d | (srcX(insn.code) ? s : 0), def: d };
    case LDX:
      return { use: s, def: d };
    case ST:
      return { use: d, def: 0 };
    case STX:
      if (mode(insn.code) === 0xc0) {
        const fetch = (insn.imm & 1) !== 0;
        if (insn.imm === 0xf1) return { use: d | s | bit(0), def: bit(0) };
        return { use: d | s, def: fetch ? s : 0 };
      }
      return { use: d | s, def: 0 };
    case LD:
      if (insn.code === LD_IMM64) return { use: 0, def: d };
      return { use: bit(6) | (mode(insn.code) === 0x40 ? s : 0), def: R0_5 };
    case JMP:
    case JMP32:
      if (o === EXIT) return { use: bit(0), def: 0 };
      if (o === CALL) return { use: R1_5, def: R0_5 };
      if (o === JA) return { use: 0, def: 0 };
      return { use: d | (srcX(insn.code) ? s : 0), def: 0 };
    default:
      return { use: 0, def: 0 };
  }
}

function successors(insns: readonly Insn[], pc: number): number[] {
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
 * `compute_live_registers`: for each instruction, the registers whose value may still be read
 * (bit i = ri live before the instruction). A stored state ignores dead registers.
 */
export function computeLiveRegs(insns: readonly Insn[]): Uint16Array {
  const n = insns.length;
  const liveIn = new Uint16Array(n);
  const ud = insns.map(useDef);
  const succ = insns.map((_, pc) => successors(insns, pc));
  let changed = true;
  while (changed) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      let out = 0;
      for (const t of succ[pc] ?? []) out |= liveIn[t] ?? 0;
      const u = ud[pc] ?? { use: 0, def: 0 };
      const v = u.use | (out & ~u.def);
      if (v !== liveIn[pc]) { liveIn[pc] = v; changed = true; }
    }
  }
  return liveIn;
}

/** Prune points (`mark_prune_point` in `visit_insn`): conditional jumps, jump targets, after calls, call sites. */
export function computePrunePoints(insns: readonly Insn[]): Uint8Array {
  const p = new Uint8Array(insns.length + 1);
  insns.forEach((insn, pc) => {
    const c = cls(insn.code);
    if (insn.code === LD_IMM64 || (c !== JMP && c !== JMP32)) return;
    const o = op(insn.code);
    if (o === EXIT) return;
    if (o === CALL) {
      p[pc + 1] = 1;
      if (insn.src === PSEUDO_CALL) p[pc] = 1;
      return;
    }
    const t = jumpTarget(insn, pc);
    if (t >= 0 && t < p.length) p[t] = 1;
    if (o !== JA) p[pc] = 1;
  });
  return p;
}
