import { Flow, flowOf, isInsnStart, jumpTarget, nextPc } from './flow.js';
import { LD_IMM64, type Slots } from './slots.js';

/** How a basic block ends. */
export const Term = {
  /** `exit`. */
  exit: 0,
  /** `ja`/`gotol` to {@link BasicBlock.taken}. */
  jump: 1,
  /** A conditional jump (or `may_goto`) to {@link BasicBlock.taken}, else {@link BasicBlock.fall}. */
  cond: 2,
  /** No jump: control runs into the next block, {@link BasicBlock.fall}. */
  fall: 3,
  /** The last instruction cannot be executed: an `invalid-insn` fault. */
  invalid: 4,
  /** The last instruction jumps or calls to no instruction: a `bad-jump` fault there. */
  badTarget: 5,
} as const;
/** One of {@link Term}. */
export type TermKind = (typeof Term)[keyof typeof Term];

/** A straight run of instructions with one entry and one way out. */
export interface BasicBlock {
  readonly start: number;
  /** The slot after the block. */
  readonly end: number;
  /** The last instruction's slot (the terminator, for `exit`/`jump`/`cond`/`invalid`). */
  readonly last: number;
  readonly term: TermKind;
  /** Instructions executed when the whole block runs (ld_imm64 counts once). */
  readonly insnCount: number;
  /** Block index of the jump target, or -1 when the target is no instruction (a `bad-jump` fault). */
  readonly taken: number;
  /** Block index control falls into, or -1 past the program's end (a `bad-jump` fault at slot `end`). */
  readonly fall: number;
}

/** The whole program cut into basic blocks, and where its subprograms start. */
export interface ProgramCfg {
  readonly blocks: readonly BasicBlock[];
  /** Block index of the block starting at a slot, -1 elsewhere. */
  readonly blockAt: Int32Array;
  /** Subprogram entries (slot 0, bpf-to-bpf call targets, `BPF_PSEUDO_FUNC` callbacks), ascending. */
  readonly entries: readonly number[];
  /** Entries that `BPF_PSEUDO_FUNC` names: callable from helpers. */
  readonly callbacks: readonly number[];
}

/** Calls of any kind and LD_ABS/LD_IND: instructions after which a block is cut. */
function endsBlock(s: Slots, pc: number): boolean {
  const code = s.code[pc] ?? 0;
  return (code & 0xf7) === 0x85 || ((code & 0x07) === 0 && (code & 0xe0) !== 0);
}

/**
 * Whether the instruction at `pc` is a bpf-to-bpf call (`BPF_PSEUDO_CALL`).
 *
 * @example
 * isLocalCall(slots, pc); // true for `call pc+3`
 */
export function isLocalCall(s: Slots, pc: number): boolean {
  return s.code[pc] === 0x85 && s.src[pc] === 1;
}

/**
 * Whether the ld_imm64 at `pc` loads a callback (`BPF_PSEUDO_FUNC`).
 *
 * @example
 * isFuncLoad(slots, pc); // true for `r2 = callback ll`
 */
export function isFuncLoad(s: Slots, pc: number): boolean {
  return s.code[pc] === LD_IMM64 && s.src[pc] === 4;
}

/**
 * Cuts the program into basic blocks: a block starts at slot 0, at every jump
 * target, after every jump or exit, and at every subprogram entry, so each
 * subprogram is a set of whole blocks.
 *
 * @example
 * const cfg = buildCfg(decodeSlots(image.insns), image.kfuncs);
 * cfg.blocks[0].start; // 0
 */
export function buildCfg(s: Slots, kfuncs: ReadonlyMap<number, string> | undefined): ProgramCfg {
  const leader = new Uint8Array(s.n + 1);
  leader[0] = 1;
  const entries = new Set<number>([0]);
  const callbacks = new Set<number>();
  for (let pc = 0; pc < s.n; pc = nextPc(s, pc)) {
    const flow = flowOf(s, pc, kfuncs);
    if (flow === Flow.jump || flow === Flow.cond) {
      const t = jumpTarget(s, pc);
      if (isInsnStart(s, t)) leader[t] = 1;
    }
    // Calls and packet loads end their block too: the block's count must not include what runs
    // after them when they run other code (callees, callbacks, tail calls) or leave the frame.
    if (flow !== Flow.next || endsBlock(s, pc)) leader[nextPc(s, pc)] = 1;
    if (flow === Flow.next && isLocalCall(s, pc)) entries.add(jumpTarget(s, pc));
    if (flow === Flow.next && isFuncLoad(s, pc)) {
      const t = s.imm[pc] ?? 0;
      if (isInsnStart(s, t)) {
        entries.add(t);
        callbacks.add(t);
      }
    }
  }
  for (const e of entries) leader[e] = 1;

  const blockAt = new Int32Array(s.n + 1).fill(-1);
  const starts: number[] = [];
  for (let pc = 0; pc < s.n; pc++) {
    if (leader[pc] === 1 && s.second[pc] === 0) {
      blockAt[pc] = starts.length;
      starts.push(pc);
    }
  }
  const blocks: BasicBlock[] = [];
  for (let b = 0; b < starts.length; b++) {
    const start = starts[b] ?? 0;
    let pc = start;
    let count = 0;
    for (;;) {
      count++;
      const flow = flowOf(s, pc, kfuncs);
      const after = nextPc(s, pc);
      if (flow !== Flow.next || after >= s.n || blockAt[after] !== -1) {
        const targetBlock = (t: number): number => (isInsnStart(s, t) ? (blockAt[t] ?? -1) : -1);
        const fall = after < s.n ? (blockAt[after] ?? -1) : -1;
        let term: TermKind = Term.fall;
        let taken = -1;
        if (flow === Flow.exit) term = Term.exit;
        else if (flow === Flow.invalid) term = Term.invalid;
        else if (flow === Flow.badTarget) term = Term.badTarget;
        else if (flow === Flow.jump) {
          term = Term.jump;
          taken = targetBlock(jumpTarget(s, pc));
        } else if (flow === Flow.cond) {
          term = Term.cond;
          taken = targetBlock(jumpTarget(s, pc));
        }
        blocks.push({ start, end: after, last: pc, term, insnCount: count, taken, fall });
        break;
      }
      pc = after;
    }
  }
  return {
    blocks,
    blockAt,
    entries: [...entries].sort((a, b) => a - b),
    callbacks: [...callbacks].sort((a, b) => a - b),
  };
}

/**
 * The blocks control can reach from `block` without a call: its jump target and/or next block.
 *
 * @example
 * successors(cfg.blocks[0]); // [taken, fall] of a conditional jump
 */
export function successors(b: BasicBlock): number[] {
  switch (b.term) {
    case Term.jump:
      return b.taken >= 0 ? [b.taken] : [];
    case Term.cond: {
      const out: number[] = [];
      if (b.taken >= 0) out.push(b.taken);
      if (b.fall >= 0 && b.fall !== b.taken) out.push(b.fall);
      return out;
    }
    case Term.fall:
      return b.fall >= 0 ? [b.fall] : [];
    default:
      return [];
  }
}
