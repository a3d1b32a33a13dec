import { BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT } from '@bpfkit/asm';
import { boundsSane, boundsSync, constOf, copyBounds, type Bounds } from './bounds.js';
import { tnumAnd, tnumConst, tnumIntersect, tnumIsConst, tnumOr, tnumSubreg, tnumWithSubreg, U32_MAX, U64_MAX } from './tnum.js';

/** Jump opcodes (`BPF_OP`). JSET_REV stands for "not JSET" (`rev_opcode(BPF_JSET)`). */
export const JEQ = BPF_JEQ, JGT = BPF_JGT, JGE = BPF_JGE, JSET = BPF_JSET, JNE = BPF_JNE, JSGT = BPF_JSGT, JSGE = BPF_JSGE,
  JLT = BPF_JLT, JLE = BPF_JLE, JSLT = BPF_JSLT, JSLE = BPF_JSLE, JSET_REV = BPF_JSET | 0x08;

/** `flip_opcode`: the same test with the operands swapped. */
export function flipOpcode(o: number): number {
  return FLIPPED[o] ?? o;
}
const FLIPPED: Readonly<Record<number, number>> = {
  [JGT]: JLT, [JLT]: JGT, [JGE]: JLE, [JLE]: JGE, [JSGT]: JSLT, [JSLT]: JSGT, [JSGE]: JSLE, [JSLE]: JSGE,
};

/** `rev_opcode`: the test the fall-through path satisfies. */
export function revOpcode(o: number): number {
  return REVERSED[o] ?? o;
}
const REVERSED: Readonly<Record<number, number>> = {
  [JEQ]: JNE, [JNE]: JEQ, [JSET]: JSET_REV, [JSET_REV]: JSET, [JGE]: JLT, [JLT]: JGE, [JGT]: JLE, [JLE]: JGT,
  [JSGE]: JSLT, [JSLT]: JSGE, [JSGT]: JSLE, [JSLE]: JSGT,
};

interface View { t: { value: bigint; mask: bigint }; umin: bigint; umax: bigint; smin: bigint; smax: bigint }

function view(b: Bounds, is32: boolean): View {
  return is32
    ? { t: tnumSubreg(b.varOff), umin: b.u32min, umax: b.u32max, smin: b.s32min, smax: b.s32max }
    : { t: b.varOff, umin: b.umin, umax: b.umax, smin: b.smin, smax: b.smax };
}

/** `is_scalar_branch_taken`: 1 always, 0 never, -1 unknown. */
export function isScalarBranchTaken(r1: Bounds, r2: Bounds, o: number, is32: boolean): number {
  let a = view(r1, is32), b = view(r2, is32);
  switch (o) {
    case JEQ:
    case JNE: {
      const yes = o === JEQ ? 1 : 0;
      if (tnumIsConst(a.t) && tnumIsConst(b.t)) return (a.t.value === b.t.value) ? yes : 1 - yes;
      // `tnum_overlap`: a bit known in both that differs.
      const known = ~a.t.mask & ~b.t.mask;
      if ((a.t.value & known) !== (b.t.value & known)) return 1 - yes;
      if (a.umin > b.umax || a.umax < b.umin || a.smin > b.smax || a.smax < b.smin) return 1 - yes;
      if (!is32) {
        if (r1.u32min > r2.u32max || r1.u32max < r2.u32min || r1.s32min > r2.s32max || r1.s32max < r2.s32min) return 1 - yes;
      }
      return -1;
    }
    case JSET: {
      if (!tnumIsConst(b.t)) [a, b] = [b, a];
      if (!tnumIsConst(b.t)) return -1;
      if ((~a.t.mask & a.t.value & b.t.value) !== 0n) return 1;
      if (((a.t.mask | a.t.value) & b.t.value) === 0n) return 0;
      return -1;
    }
    case JGT: return a.umin > b.umax ? 1 : a.umax <= b.umin ? 0 : -1;
    case JSGT: return a.smin > b.smax ? 1 : a.smax <= b.smin ? 0 : -1;
    case JLT: return a.umax < b.umin ? 1 : a.umin >= b.umax ? 0 : -1;
    case JSLT: return a.smax < b.smin ? 1 : a.smin >= b.smax ? 0 : -1;
    case JGE: return a.umin >= b.umax ? 1 : a.umax < b.umin ? 0 : -1;
    case JSGE: return a.smin >= b.smax ? 1 : a.smax < b.smin ? 0 : -1;
    case JLE: return a.umax <= b.umin ? 1 : a.umin > b.umax ? 0 : -1;
    case JSLE: return a.smax <= b.smin ? 1 : a.smin > b.smax ? 0 : -1;
    default: return -1;
  }
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** `regs_refine_cond_op`: what `r1 op r2` being true teaches about both. */
function refine(r1: Bounds, r2: Bounds, opIn: number, is32: boolean): void {
  let o = opIn;
  if (o === JGE || o === JGT || o === JSGE || o === JSGT) {
    o = flipOpcode(o);
    [r1, r2] = [r2, r1];
  }
  switch (o) {
    case JEQ:
      if (is32) {
        r1.u32min = r2.u32min = max(r1.u32min, r2.u32min);
        r1.u32max = r2.u32max = min(r1.u32max, r2.u32max);
        r1.s32min = r2.s32min = max(r1.s32min, r2.s32min);
        r1.s32max = r2.s32max = min(r1.s32max, r2.s32max);
        const t = tnumIntersect(tnumSubreg(r1.varOff), tnumSubreg(r2.varOff));
        r1.varOff = tnumWithSubreg(r1.varOff, t);
        r2.varOff = tnumWithSubreg(r2.varOff, t);
      } else {
        r1.umin = r2.umin = max(r1.umin, r2.umin);
        r1.umax = r2.umax = min(r1.umax, r2.umax);
        r1.smin = r2.smin = max(r1.smin, r2.smin);
        r1.smax = r2.smax = min(r1.smax, r2.smax);
        r1.varOff = r2.varOff = tnumIntersect(r1.varOff, r2.varOff);
      }
      break;
    case JNE: {
      if (constOf(r2, is32) === undefined) [r1, r2] = [r2, r1];
      const v = constOf(r2, is32);
      if (v === undefined) break;
      if (is32) {
        const sv = BigInt.asIntN(32, v);
        if (r1.u32min === v) r1.u32min++;
        if (r1.u32max === v) r1.u32max--;
        if (r1.s32min === sv) r1.s32min++;
        if (r1.s32max === sv) r1.s32max--;
      } else {
        const sv = BigInt.asIntN(64, v);
        if (r1.umin === v) r1.umin++;
        if (r1.umax === v) r1.umax--;
        if (r1.smin === sv) r1.smin++;
        if (r1.smax === sv) r1.smax--;
      }
      break;
    }
    case JSET:
    case JSET_REV: {
      if (constOf(r2, is32) === undefined) [r1, r2] = [r2, r1];
      const v = constOf(r2, is32);
      if (v === undefined) break;
      if (o === JSET) {
        if (v === 0n || (v & (v - 1n)) !== 0n) break;
        if (is32) r1.varOff = tnumWithSubreg(r1.varOff, tnumOr(tnumSubreg(r1.varOff), tnumConst(v)));
        else r1.varOff = tnumOr(r1.varOff, tnumConst(v));
      } else if (is32) {
        r1.varOff = tnumWithSubreg(r1.varOff, tnumAnd(tnumSubreg(r1.varOff), tnumConst(~v & U32_MAX)));
      } else {
        r1.varOff = tnumAnd(r1.varOff, tnumConst(~v & U64_MAX));
      }
      break;
    }
    case JLE:
      if (is32) { r1.u32max = min(r1.u32max, r2.u32max); r2.u32min = max(r1.u32min, r2.u32min); }
      else { r1.umax = min(r1.umax, r2.umax); r2.umin = max(r1.umin, r2.umin); }
      break;
    case JLT:
      if (is32) { r1.u32max = min(r1.u32max, r2.u32max - 1n); r2.u32min = max(r1.u32min + 1n, r2.u32min); }
      else { r1.umax = min(r1.umax, r2.umax - 1n); r2.umin = max(r1.umin + 1n, r2.umin); }
      break;
    case JSLE:
      if (is32) { r1.s32max = min(r1.s32max, r2.s32max); r2.s32min = max(r1.s32min, r2.s32min); }
      else { r1.smax = min(r1.smax, r2.smax); r2.smin = max(r1.smin, r2.smin); }
      break;
    case JSLT:
      if (is32) { r1.s32max = min(r1.s32max, r2.s32max - 1n); r2.s32min = max(r1.s32min + 1n, r2.s32min); }
      else { r1.smax = min(r1.smax, r2.smax - 1n); r2.smin = max(r1.smin + 1n, r2.smin); }
      break;
    default:
      break;
  }
}

/**
 * `reg_set_min_max`: the bounds of both operands on the taken path (`r1 op r2` true) and on the
 * fall-through path. Returns undefined for a path whose bounds become contradictory (it cannot happen).
 */
export function regSetMinMax(r1: Bounds, r2: Bounds, o: number, is32: boolean):
  { taken: [Bounds, Bounds] | undefined; fall: [Bounds, Bounds] | undefined } {
  const t1 = copyBounds(r1), t2 = copyBounds(r2), f1 = copyBounds(r1), f2 = copyBounds(r2);
  refine(f1, f2, revOpcode(o), is32);
  refine(t1, t2, o, is32);
  for (const b of [t1, t2, f1, f2]) boundsSync(b);
  const ok = (a: Bounds, b: Bounds): boolean => boundsSane(a) && boundsSane(b);
  return { taken: ok(t1, t2) ? [t1, t2] : undefined, fall: ok(f1, f2) ? [f1, f2] : undefined };
}
