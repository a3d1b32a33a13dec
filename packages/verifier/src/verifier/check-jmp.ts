import type { Insn } from '@bpfkit/asm';
import { isScalarBranchTaken, flipOpcode, JEQ, JGE, JGT, JLE, JLT, JNE, regSetMinMax } from './branch.js';
import { boundsSync, copyBounds, knownBounds, zext32To64, type Bounds } from './bounds.js';
import { addConstBounds } from './scalar-alu.js';
import type { VerifierEnv } from './env.js';
import { jumpTarget, op, srcX } from './insns.js';
import { fail } from './log.js';
import { regMap } from './map-fields.js';
import { regMayPointToSpinLock } from './spin-lock.js';
import { checkMayGoto } from './may-goto.js';
import { markChainPrecision } from './precision.js';
import { cloneState, constScalar, isPointer, NOT_NULL, pointer, type LinkedReg, type RegState, type VState } from './state.js';
import { tnumIsConst } from './tnum.js';

const isPktAny = (r: RegState): boolean => r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end';
const maybeNull = (r: RegState): boolean => NOT_NULL[r.type] !== undefined;
/** `reg_not_null`. */
const NOT_NULL_TYPES: ReadonlySet<string> = new Set(['map_value', 'ringbuf_mem', 'mem', 'map_ptr', 'sock', 'sock_common', 'tcp_sock']);
const notNull = (r: RegState): boolean => NOT_NULL_TYPES.has(r.type);

/** Packet pointer range markers (`AT_PKT_END`, `BEYOND_PKT_END`). */
const AT_PKT_END = -1, BEYOND_PKT_END = -2;

/** `is_pkt_ptr_branch_taken`: a pointer already known to be at or past pkt_end. */
function isPktPtrBranchTaken(dst: RegState, src: RegState, opIn: number): number {
  let pkt: RegState, o = opIn;
  if (src.type === 'pkt_end') pkt = dst;
  else if (dst.type === 'pkt_end') { pkt = src; o = flipOpcode(o); }
  else return -1;
  const range = pkt.range ?? 0;
  if (range >= 0) return -1;
  if ((o === JLE || o === JGT) && range === BEYOND_PKT_END) return o === JGT ? 1 : 0;
  if ((o === JLT || o === JGE) && (range === BEYOND_PKT_END || range === AT_PKT_END)) return o === JGE ? 1 : 0;
  return -1;
}

/** `is_branch_taken`: 1 always, 0 never, -1 both ways. */
function isBranchTaken(dst: RegState, src: RegState, o: number, is32: boolean): number {
  if (isPktAny(dst) && isPktAny(src) && !is32) return isPktPtrBranchTaken(dst, src, o);
  if (isPointer(dst) || isPointer(src)) {
    let p = dst, s = src, oo = o;
    if (!(s.type === 'scalar' && tnumIsConst(s.varOff))) { [p, s] = [s, p]; oo = flipOpcode(oo); }
    if (!(s.type === 'scalar' && tnumIsConst(s.varOff))) return -1;
    if (!notNull(p)) return -1;
    if ((is32 ? s.varOff.value & 0xffffffffn : s.varOff.value) !== 0n) return -1;
    return oo === JEQ ? 0 : oo === JNE ? 1 : -1;
  }
  return isScalarBranchTaken(dst, src, o, is32);
}

/** Every register and spilled slot of every frame, replaced in place (a state's arrays are its own: see cloneState). */
function forEachReg(s: VState, fn: (r: RegState) => RegState): void {
  for (const f of s.frames) {
    const regs = f.regs;
    for (let i = 0; i < regs.length; i++) {
      const r = regs[i];
      if (r !== undefined) regs[i] = fn(r);
    }
    for (const slot of f.stack) if (slot.spilled !== undefined && slot.bytes[0] === 'spill') slot.spilled = fn(slot.spilled);
  }
}

/** `sync_linked_regs`: scalars sharing an id get the bounds learned for one of them (shifted by their constant). */
function syncLinked(env: VerifierEnv, s: VState, known: RegState, pc: number): void {
  if (known.id === 0 || known.type !== 'scalar') return;
  // Only live registers are linked (`collect_linked_regs`); spilled copies always are.
  s.frames.forEach((f, i) => {
    const at = i === s.frames.length - 1 ? pc : (s.frames[i + 1]?.returnTo ?? pc + 1) - 1;
    const live = env.liveIn[at] ?? 0x3ff;
    const regs = f.regs;
    for (let regno = 0; regno < 10; regno++) {
      const r = regs[regno];
      if (r !== undefined && (live & (1 << regno)) !== 0) regs[regno] = syncOne(r, known);
    }
    for (const slot of f.stack) if (slot.spilled !== undefined && slot.bytes[0] === 'spill') slot.spilled = syncOne(slot.spilled, known);
  });
}

function syncOne(r: RegState, known: RegState): RegState {
  {
    if (r.type !== 'scalar' || r === known || r.id !== known.id) return r;
    const kOff = known.linkedConst === true ? known.off : 0;
    const rOff = r.linkedConst === true ? r.off : 0;
    const zext = r.linkedConst32 === true || known.linkedConst32 === true;
    if (kOff === rOff && !zext) return { ...r, ...copyBounds(known) };
    // reg = known + (reg's constant - known's): both ranges and the known bits; a 32-bit link then drops the upper half.
    const b = copyBounds(known);
    addConstBounds(b, BigInt(rOff - kOff));
    if (zext) zext32To64(b);
    boundsSync(b);
    return { ...r, ...b };
  }
}

/** `collect_linked_regs`: registers and spilled slots, in every frame, holding a scalar with one of these ids. */
function collectLinkedRegs(env: VerifierEnv, s: VState, pc: number, id1: number, id2: number): LinkedReg[] {
  const out: LinkedReg[] = [];
  if (id1 === 0 && id2 === 0) return out;
  const match = (r: RegState | undefined): boolean => r?.type === 'scalar' && r.id !== 0 && (r.id === id1 || r.id === id2);
  s.frames.forEach((f, frame) => {
    const at = frame === s.frames.length - 1 ? pc : (s.frames[frame + 1]?.returnTo ?? pc + 1) - 1;
    const live = env.liveIn[at] ?? 0x3ff;
    for (let i = 0; i < 10; i++) if ((live & (1 << i)) !== 0 && match(f.regs[i])) out.push({ frame, index: i, isReg: true });
    f.stack.forEach((slot, i) => {
      if (slot.bytes[0] === 'spill' && match(slot.spilled)) out.push({ frame, index: i, isReg: false });
    });
  });
  return out;
}

/** `mark_ptr_or_null_regs`: after `if rX == 0`, every copy of the pointer is null or valid. */
function markPtrOrNull(env: VerifierEnv, s: VState, reg: RegState, isNull: boolean): void {
  const id = reg.id;
  // A value holding a bpf_spin_lock keeps its id: it names the lock (`reg_may_point_to_spin_lock`).
  const keepId = (r: RegState): boolean => regMayPointToSpinLock(env, r);
  // A NULL result never held the reference it was acquired as.
  if (isNull && reg.refObjId !== undefined && reg.refObjId === id) s.refs = s.refs.filter((r) => r.id !== id);
  forEachReg(s, (r) => {
    const base = NOT_NULL[r.type];
    if (r.id !== id || base === undefined) return r;
    if (isNull) return constScalar(0n);
    // A map-in-map's value is the inner map (`mark_ptr_not_null_reg`): a map pointer of its template.
    const outer = r.type === 'map_value_or_null' ? regMap(env, r) : undefined;
    if (outer?.innerMap !== undefined && r.innerMap !== true) {
      return pointer('map_ptr', 0, { mapFd: outer.fd, valueSize: outer.innerMap.valueSize, keySize: outer.innerMap.keySize, innerMap: true });
    }
    return { ...r, type: base, id: keepId(r) ? r.id : 0 };
  });
}

/** `find_good_pkt_pointers`: packet pointers with this id may access `newRange` bytes. */
function findGoodPktPointers(s: VState, reg: RegState, strict: boolean): void {
  if (reg.off < 0 || reg.umax > 0xffffn || reg.umax + BigInt(reg.off) > 0xffffn) return;
  const newRange = reg.off + (strict ? 1 : 0);
  if (newRange === 0) return;
  forEachReg(s, (r) => (r.type === reg.type && r.id === reg.id && (r.range ?? 0) >= 0 && (r.range ?? 0) < newRange ? { ...r, range: newRange } : r));
}

function markPktEnd(s: VState, regno: number, beyond: boolean): void {
  const f = s.frames[s.frames.length - 1];
  const r = f?.regs[regno];
  if (f === undefined || r?.type !== 'pkt') return;
  const range = beyond ? BEYOND_PKT_END : AT_PKT_END;
  if (r.range !== range) f.regs[regno] = { ...r, range };
}

const isInitPkt = (r: RegState): boolean => r.type === 'pkt' && r.off === 0 && tnumIsConst(r.varOff) && r.varOff.value === 0n;

/** `try_match_pkt_pointers`: a comparison against pkt_end (or data against data_meta) proves a range on one path. */
function tryMatchPktPointers(insn: Insn, dst: RegState, src: RegState, fall: VState, taken: VState, is32: boolean): boolean {
  if (!srcX(insn.code) || is32) return false;
  const o = op(insn.code);
  if (o !== JGT && o !== JLT && o !== JGE && o !== JLE) return false;
  const dstFirst = (dst.type === 'pkt' && src.type === 'pkt_end') || (dst.type === 'pkt_meta' && isInitPkt(src));
  const srcFirst = (dst.type === 'pkt_end' && src.type === 'pkt') || (isInitPkt(dst) && src.type === 'pkt_meta');
  if (!dstFirst && !srcFirst) return false;
  // Normalise to "ptr' OP end" with the pointer on the left.
  const ptr = dstFirst ? dst : src;
  const ptrReg = dstFirst ? insn.dst : insn.src;
  const oo = dstFirst ? o : flipOpcode(o);
  // ptr' > end: fall-through has ptr' <= end; ptr' >= end: fall-through has ptr' < end; and the mirrored cases.
  if (oo === JGT) { findGoodPktPointers(fall, ptr, false); markPktEnd(taken, ptrReg, true); }
  else if (oo === JGE) { findGoodPktPointers(fall, ptr, true); markPktEnd(taken, ptrReg, false); }
  else if (oo === JLT) { findGoodPktPointers(taken, ptr, true); markPktEnd(fall, ptrReg, false); }
  else { findGoodPktPointers(taken, ptr, false); markPktEnd(fall, ptrReg, true); }
  return true;
}

/** `check_cond_jmp_op`: decides dead branches, narrows both paths, queues the jump target. Returns the next pc. */
export function checkCondJmpOp(env: VerifierEnv, state: VState, insn: Insn, pc: number, is32: boolean): number | 'exit' {
  const o = op(insn.code);
  if (o === 0xe0 && !is32) return checkMayGoto(env, state, insn, pc);
  if (o === 0xe0 || o === 0xf0) fail(env.log, 'EINVAL', 'unknown-opcode', `unknown opcode ${insn.code.toString(16).padStart(2, '0')}`);
  const useX = srcX(insn.code);
  const dst = env.readReg(state, insn.dst);
  const src = useX ? env.readReg(state, insn.src) : constScalar(BigInt(insn.imm));
  if (useX && isPointer(src) && !env.privileges.allowPtrLeaks && !(isPktAny(src) && isPktAny(dst))) {
    fail(env.log, 'EACCES', 'ptr-compare', `R${String(insn.src)} pointer comparison prohibited`);
  }
  // A stack pointer compared is recorded, so that backtracking leaves it (and r10) alone.
  const srcStack = useX && src.type === 'fp', dstStack = dst.type === 'fp';
  if (srcStack || dstStack) env.pushHist(state, undefined, undefined, { src: srcStack, dst: dstStack });
  const target = jumpTarget(insn, pc);
  const pred = isBranchTaken(dst, src, o, is32);
  if (pred >= 0) {
    // The branch is decided by the values: they must be exact in states that prune this path.
    if (dst.type === 'scalar') markChainPrecision(env, state, insn.dst);
    if (useX && src.type === 'scalar') markChainPrecision(env, state, insn.src);
  }
  if (pred === 1) return target;
  if (pred === 0) return pc + 1;
  // Scalars sharing an id with a compared one learn bounds on both paths: backtracking traces them together.
  const linked = collectLinkedRegs(env, state, pc, useX && src.type === 'scalar' ? src.id : 0, dst.type === 'scalar' ? dst.id : 0);
  if (linked.length > 1) env.pushHist(state, undefined, linked);
  const other = cloneState(state);
  let takenDead = false, fallDead = false;
  if (dst.type === 'scalar' && src.type === 'scalar') {
    const res = regSetMinMax(dst, src, o, is32);
    const apply = (s: VState, b: [Bounds, Bounds]): void => {
      const f = s.frames[s.frames.length - 1];
      if (f === undefined) return;
      const d: RegState = { ...(f.regs[insn.dst] ?? dst), ...b[0] };
      f.regs[insn.dst] = d;
      if (useX) {
        const sr: RegState = { ...(f.regs[insn.src] ?? src), ...b[1] };
        f.regs[insn.src] = sr;
        syncLinked(env, s, sr, pc);
      }
      syncLinked(env, s, f.regs[insn.dst] ?? d, pc);
    };
    if (res.taken === undefined) takenDead = true; else apply(other, res.taken);
    if (res.fall === undefined) fallDead = true; else apply(state, res.fall);
  } else if (!useX && insn.imm === 0 && (o === JEQ || o === JNE) && !is32 && maybeNull(dst)) {
    markPtrOrNull(env, other, dst, o === JEQ);
    markPtrOrNull(env, state, dst, o !== JEQ);
  } else if (!tryMatchPktPointers(insn, dst, src, state, other, is32) && isPointer(dst) && !env.privileges.allowPtrLeaks) {
    fail(env.log, 'EACCES', 'ptr-compare', `R${String(insn.dst)} pointer comparison prohibited`);
  }
  // Two pointers compared equal: one known non-NULL makes the other non-NULL on the equal path.
  if (!is32 && useX && isPointer(dst) && isPointer(src) && maybeNull(dst) !== maybeNull(src) && (o === JEQ || o === JNE)) {
    const eq = o === JEQ ? other : state;
    const f = eq.frames[eq.frames.length - 1];
    const regno = maybeNull(src) ? insn.src : insn.dst;
    const r = f?.regs[regno];
    const base = r === undefined ? undefined : NOT_NULL[r.type];
    if (f !== undefined && r !== undefined && base !== undefined) f.regs[regno] = { ...r, type: base };
  }
  if (fallDead && takenDead) return 'exit';
  if (fallDead) {
    state.frames = other.frames;
    return target;
  }
  if (!takenDead) env.pushStack(other, target, pc);
  return pc + 1;
}

export { knownBounds };
