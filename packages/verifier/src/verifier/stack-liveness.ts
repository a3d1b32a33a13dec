import type { Insn } from '@bpfkit/asm';
import { EXIT, JA, JMP, JMP32, LD_IMM64, cls, op } from './insns.js';
import type { VerifierLog } from './log.js';
import type { VState } from './state.js';

// Linux 6.18's stack liveness analysis (kernel/bpf/liveness.c). While the verifier walks, each
// (call chain, instruction) accumulates the stack slots it may read and the ones it surely writes; at
// the end of a path and at a subprogram's exit the slots live before each instruction are computed to a
// fixed point over the subprogram's instructions in postorder (each change in the level-2 log:
// `(0) frame 0 insn 4 +live -8`). Pruning forgets the slots of a stored state that are no longer live.
// Slot masks are 64 bits, kept as two u32 halves.

const MAX_FRAMES = 8;
const LIVE = 0, WRITE = 1, ACC = 2, READ = 3;

/** Per frame of an instance, per instruction: may_read, must_write, must_write_acc, live_before (lo, hi each). */
class FrameMasks {
  readonly m: Uint32Array;
  constructor(insnCnt: number) {
    this.m = new Uint32Array(insnCnt * 8);
  }
  lo(i: number, field: number): number {
    return this.m[i * 8 + field * 2] ?? 0;
  }
  hi(i: number, field: number): number {
    return this.m[i * 8 + field * 2 + 1] ?? 0;
  }
  set(i: number, field: number, lo: number, hi: number): void {
    this.m[i * 8 + field * 2] = lo >>> 0;
    this.m[i * 8 + field * 2 + 1] = hi >>> 0;
  }
}

/** `struct func_instance`: the marks of one subprogram reached through one call chain. */
interface Instance {
  /** Call instruction of each frame, the last being the subprogram's first instruction. */
  readonly callsites: readonly number[];
  readonly spStarts: readonly number[];
  readonly curframe: number;
  readonly start: number;
  readonly insnCnt: number;
  updated: boolean;
  mustWriteDropped: boolean;
  readonly frames: (FrameMasks | undefined)[];
  readonly mustWriteSet: Uint8Array;
}

/** What the analysis needs of the program. */
export interface LivenessProgram {
  readonly insns: readonly Insn[];
  /** Subprogram start instructions, and the program's length last. */
  readonly subprogs: readonly number[];
  readonly prunePoints: Uint8Array;
  readonly log: VerifierLog;
  /** `bpf_calls_callback`: the instruction is a call that runs a callback (its frame resumes at the call itself). */
  readonly callsCallback: (pc: number) => boolean;
}

/** `bpf_insn_successors`: fall through (past an ld_imm64's two slots) and jump, within the subprogram. */
function successors(insns: readonly Insn[], idx: number, out: number[]): number {
  const insn = insns[idx];
  if (insn === undefined) return 0;
  const c = cls(insn.code);
  let n = 0;
  if (c === JMP || c === JMP32) {
    const o = op(insn.code);
    if (o === EXIT) return 0;
    if (o === 0x80) {
      out[n++] = idx + 1;
      return n;
    }
    if (o === JA) {
      out[n++] = idx + (c === JMP32 ? insn.imm : insn.off) + 1;
      return n;
    }
    out[n++] = idx + 1;
    out[n++] = idx + insn.off + 1;
    return n;
  }
  out[n++] = idx + (insn.code === LD_IMM64 ? 2 : 1);
  return n;
}

/** `compute_postorder`: each subprogram's instructions in DFS postorder from its first one. */
function postorder(insns: readonly Insn[], subprogs: readonly number[]): { order: Int32Array; starts: Int32Array } {
  const n = insns.length;
  const order = new Int32Array(n);
  const state = new Uint8Array(n);
  const stack = new Int32Array(n + 1);
  const starts = new Int32Array(subprogs.length);
  const succ: number[] = [0, 0];
  let cur = 0;
  const count = subprogs.length - 1;
  for (let s = 0; s < count; s++) {
    starts[s] = cur;
    stack[0] = subprogs[s] ?? 0;
    let sz = 1;
    do {
      const top = stack[sz - 1] ?? 0;
      state[top] = (state[top] ?? 0) | 1;
      if (((state[top] ?? 0) & 2) !== 0) {
        order[cur++] = top;
        sz--;
        continue;
      }
      const k = successors(insns, top, succ);
      for (let j = 0; j < k; j++) {
        const t = succ[j] ?? 0;
        if (t >= 0 && t < n && state[t] === 0) {
          stack[sz++] = t;
          state[t] = 1;
        }
      }
      state[top] = (state[top] ?? 0) | 2;
    } while (sz > 0);
  }
  starts[count] = cur;
  return { order, starts };
}

/** `bpf_fmt_stack_mask`: the slots' offsets from the frame pointer, `-8,-16`. */
function fmtMask(lo: number, hi: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 64; i++) {
    const bit = i < 32 ? (lo >>> i) & 1 : (hi >>> (i - 32)) & 1;
    if (bit !== 0) parts.push(String(-(i + 1) * 8));
  }
  return parts.join(',');
}

/** The stack liveness analysis of one verification (`env->liveness`). */
export class StackLiveness {
  readonly #prog: LivenessProgram;
  readonly #instances = new Map<string, Instance>();
  #cur: Instance | undefined;
  readonly #writeLo = new Uint32Array(MAX_FRAMES);
  readonly #writeHi = new Uint32Array(MAX_FRAMES);
  #writeInsn = 0;
  readonly #order: Int32Array;
  readonly #poStarts: Int32Array;
  readonly #succ: number[] = [0, 0];

  constructor(prog: LivenessProgram) {
    this.#prog = prog;
    const po = postorder(prog.insns, prog.subprogs);
    this.#order = po.order;
    this.#poStarts = po.starts;
  }

  #subprogIndex(start: number): number {
    const s = this.#prog.subprogs;
    let i = 0;
    while (i + 1 < s.length - 1 && (s[i + 1] ?? Infinity) <= start) i++;
    return i;
  }

  /** `lookup_instance`: the instance of frame `frameno`'s subprogram through `state`'s call chain. */
  #lookup(state: VState, frameno: number): Instance {
    const callsites: number[] = [];
    const spStarts: number[] = [];
    for (let i = 0; i <= frameno; i++) {
      const f = state.frames[i];
      spStarts.push(this.#prog.subprogs[Math.max(f?.subprog ?? 0, 0)] ?? 0);
      const callee = state.frames[i + 1];
      callsites.push(callee === undefined ? 0 : callee.returnTo - 1);
    }
    callsites[frameno] = spStarts[frameno] ?? 0;
    return this.#byChain(callsites, spStarts, frameno);
  }

  #byChain(callsites: number[], spStarts: number[], curframe: number): Instance {
    const key = callsites.join(',');
    let inst = this.#instances.get(key);
    if (inst === undefined) {
      const start = spStarts[curframe] ?? 0;
      const sp = this.#subprogIndex(start);
      const insnCnt = (this.#prog.subprogs[sp + 1] ?? this.#prog.insns.length) - start;
      inst = { callsites, spStarts, curframe, start, insnCnt, updated: false, mustWriteDropped: false, frames: [], mustWriteSet: new Uint8Array(insnCnt) };
      this.#instances.set(key, inst);
    }
    return inst;
  }

  #masks(inst: Instance, frame: number): FrameMasks {
    let m = inst.frames[frame];
    if (m === undefined) {
      m = new FrameMasks(inst.insnCnt);
      inst.frames[frame] = m;
    }
    return m;
  }

  /** `bpf_reset_live_stack_callchain`: the verifier entered another subprogram. */
  resetCallchain(): void {
    this.#cur = undefined;
  }

  #ensureCur(state: VState): Instance {
    this.#cur ??= this.#lookup(state, state.frames.length - 1);
    return this.#cur;
  }

  #markRead(inst: Instance, frame: number, insnIdx: number, lo: number, hi: number): void {
    const m = this.#masks(inst, frame);
    const i = insnIdx - inst.start;
    const rl = m.lo(i, READ), rh = m.hi(i, READ);
    const nl = (rl | lo) >>> 0, nh = (rh | hi) >>> 0;
    const ll = m.lo(i, LIVE), lh = m.hi(i, LIVE);
    if ((nl !== rl || nh !== rh) && (((nl | ll) >>> 0) !== ll || ((nh | lh) >>> 0) !== lh)) inst.updated = true;
    m.set(i, READ, nl, nh);
  }

  /** `bpf_mark_stack_read`: the current instruction may read slot `spi` of frame `frame`. */
  read(state: VState, frame: number, insnIdx: number, spi: number): void {
    if (spi < 0 || spi >= 64) return;
    this.#markRead(this.#ensureCur(state), frame, insnIdx, spi < 32 ? 1 << spi : 0, spi >= 32 ? 1 << (spi - 32) : 0);
  }

  /** `bpf_reset_stack_write_marks`, before an instruction. */
  resetWrites(state: VState, insnIdx: number): void {
    const inst = this.#ensureCur(state);
    this.#resetWritesOf(inst, insnIdx);
  }

  #resetWritesOf(inst: Instance, insnIdx: number): void {
    this.#writeInsn = insnIdx;
    for (let i = 0; i <= inst.curframe; i++) {
      this.#writeLo[i] = 0;
      this.#writeHi[i] = 0;
    }
  }

  /** `bpf_mark_stack_write`: the current instruction surely writes slot `spi` of frame `frame`. */
  write(frame: number, spi: number): void {
    if (spi < 0 || spi >= 64 || frame >= MAX_FRAMES) return;
    if (spi < 32) this.#writeLo[frame] = ((this.#writeLo[frame] ?? 0) | (1 << spi)) >>> 0;
    else this.#writeHi[frame] = ((this.#writeHi[frame] ?? 0) | (1 << (spi - 32))) >>> 0;
  }

  /** `bpf_commit_stack_write_marks`, after an instruction. */
  commitWrites(): void {
    if (this.#cur !== undefined) this.#commit(this.#cur);
  }

  #commit(inst: Instance): void {
    const idx = this.#writeInsn - inst.start;
    for (let frame = 0; frame <= inst.curframe; frame++) {
      let lo = this.#writeLo[frame] ?? 0, hi = this.#writeHi[frame] ?? 0;
      if (lo === 0 && hi === 0 && inst.mustWriteSet[idx] !== 1) continue;
      const m = this.#masks(inst, frame);
      const ol = m.lo(idx, WRITE), oh = m.hi(idx, WRITE);
      if (inst.mustWriteSet[idx] === 1) {
        lo = (lo & ol) >>> 0;
        hi = (hi & oh) >>> 0;
      }
      if (ol !== lo || oh !== hi) {
        m.set(idx, WRITE, lo, hi);
        inst.updated = true;
      }
      if ((ol & ~lo) !== 0 || (oh & ~hi) !== 0) inst.mustWriteDropped = true;
    }
    inst.mustWriteSet[idx] = 1;
    this.#writeInsn = 0;
  }

  /**
   * `bpf_update_live_stack`, at the end of a path and at a subprogram's exit: the instances of
   * `state`'s frames that changed, innermost first, are brought to their fixed point.
   */
  update(state: VState): void {
    this.#cur = undefined;
    for (let frame = state.frames.length - 1; frame >= 0; frame--) {
      const inst = this.#lookup(state, frame);
      if (!inst.updated) continue;
      this.#updateInstance(inst);
      inst.updated = false;
      inst.mustWriteDropped = false;
    }
  }

  /**
   * `bpf_live_stack_query_init` and `bpf_stack_slot_alive` for a stored state: whether slot `spi` of
   * frame `frameno` may still be read, before the state's instruction in its own subprogram or, for an
   * outer frame, after the call it is in (at the call, for a callback's caller).
   */
  slotAliveQuery(state: VState): (frameno: number, spi: number) => boolean {
    const cur = state.frames.length - 1;
    const insts: Instance[] = [];
    for (let f = 0; f <= cur; f++) insts.push(this.#lookup(state, f));
    const curInst = insts[cur];
    const insnIdx = state.insnIdx;
    const liveBefore = (inst: Instance | undefined, idx: number, frameno: number, spi: number): boolean => {
      const m = inst?.frames[frameno];
      if (inst === undefined || m === undefined) return false;
      const i = idx - inst.start;
      return spi < 32 ? ((m.lo(i, LIVE) >>> spi) & 1) !== 0 : ((m.hi(i, LIVE) >>> (spi - 32)) & 1) !== 0;
    };
    return (frameno, spi) => {
      if (liveBefore(curInst, insnIdx, frameno, spi)) return true;
      for (let i = frameno; i < cur; i++) {
        const callsite = curInst?.callsites[i] ?? 0;
        if (liveBefore(insts[i], this.#prog.callsCallback(callsite) ? callsite : callsite + 1, frameno, spi)) return true;
      }
      return false;
    };
  }

  #chain(inst: Instance): string {
    return `(${inst.callsites.join(',')})`;
  }

  #logChange(inst: Instance, pfx: string, frame: number, insnIdx: number, ol: number, oh: number, nl: number, nh: number): void {
    const cl = (ol ^ nl) >>> 0, ch = (oh ^ nh) >>> 0;
    if (cl === 0 && ch === 0) return;
    let line = `${this.#chain(inst)} frame ${String(frame)} insn ${String(insnIdx)} `;
    const onesL = (nl & cl) >>> 0, onesH = (nh & ch) >>> 0;
    const zerosL = (~nl & cl) >>> 0, zerosH = (~nh & ch) >>> 0;
    if (onesL !== 0 || onesH !== 0) line += `+${pfx} ${fmtMask(onesL, onesH)} `;
    if (zerosL !== 0 || zerosH !== 0) line += `-${pfx} ${fmtMask(zerosL, zerosH)}`;
    this.#prog.log.line(line);
  }

  /** `update_insn`: one instruction's live_before and must_write_acc from its successors'. */
  #updateInsn(inst: Instance, frame: number, m: FrameMasks, insnIdx: number): boolean {
    const k = successors(this.#prog.insns, insnIdx, this.#succ);
    if (k === 0) return false;
    const i = insnIdx - inst.start;
    let afterL = 0, afterH = 0, accL = 0xffffffff, accH = 0xffffffff;
    for (let s = 0; s < k; s++) {
      const j = (this.#succ[s] ?? 0) - inst.start;
      afterL |= m.lo(j, LIVE);
      afterH |= m.hi(j, LIVE);
      accL &= m.lo(j, ACC);
      accH &= m.hi(j, ACC);
    }
    const wl = m.lo(i, WRITE), wh = m.hi(i, WRITE), rl = m.lo(i, READ), rh = m.hi(i, READ);
    accL = (accL | wl) >>> 0;
    accH = (accH | wh) >>> 0;
    const bl = ((afterL & ~wl) | rl) >>> 0, bh = ((afterH & ~wh) | rh) >>> 0;
    const ll = m.lo(i, LIVE), lh = m.hi(i, LIVE), al = m.lo(i, ACC), ah = m.hi(i, ACC);
    const changed = bl !== ll || bh !== lh || accL !== al || accH !== ah;
    if (this.#prog.log.level2 && ((rl | rh | wl | wh) !== 0 || insnIdx === inst.start || this.#prog.prunePoints[insnIdx] === 1)) {
      this.#logChange(inst, 'live', frame, insnIdx, ll, lh, bl, bh);
      this.#logChange(inst, 'written', frame, insnIdx, al, ah, accL, accH);
    }
    m.set(i, LIVE, bl, bh);
    m.set(i, ACC, accL, accH);
    return changed;
  }

  /** `update_instance`: the fixed point over the subprogram's postorder, then the marks its caller gets. */
  #updateInstance(inst: Instance): void {
    if (inst.mustWriteDropped) {
      for (const m of inst.frames) for (let i = 0; m !== undefined && i < inst.insnCnt; i++) m.set(i, ACC, 0, 0);
    }
    const sp = this.#subprogIndex(inst.start);
    const from = this.#poStarts[sp] ?? 0, to = this.#poStarts[sp + 1] ?? 0;
    let cnt = 0;
    let changed: boolean;
    do {
      cnt++;
      changed = false;
      for (let frame = 0; frame <= inst.curframe; frame++) {
        const m = inst.frames[frame];
        if (m === undefined) continue;
        for (let p = from; p < to; p++) changed = this.#updateInsn(inst, frame, m, this.#order[p] ?? 0) || changed;
      }
    } while (changed);
    if (this.#prog.log.level2) this.#prog.log.line(`${this.#chain(inst)} live stack update done in ${String(cnt)} iterations`);
    if (inst.curframe > 0) this.#propagateToOuter(inst);
  }

  /** `propagate_to_outer_instance`: the subprogram's entry marks become its call instruction's in the caller. */
  #propagateToOuter(inst: Instance): void {
    const callsites = inst.callsites.slice(0, inst.curframe);
    const spStarts = inst.spStarts.slice(0, inst.curframe);
    callsites[inst.curframe - 1] = spStarts[inst.curframe - 1] ?? 0;
    const outer = this.#byChain(callsites, spStarts, inst.curframe - 1);
    const callsite = inst.callsites[inst.curframe - 1] ?? 0;
    this.#resetWritesOf(outer, callsite);
    for (let frame = 0; frame < inst.curframe; frame++) {
      const m = inst.frames[frame];
      if (m === undefined) continue;
      this.#writeLo[frame] = ((this.#writeLo[frame] ?? 0) | m.lo(0, ACC)) >>> 0;
      this.#writeHi[frame] = ((this.#writeHi[frame] ?? 0) | m.hi(0, ACC)) >>> 0;
      this.#markRead(outer, frame, callsite, m.lo(0, LIVE), m.hi(0, LIVE));
    }
    this.#commit(outer);
  }
}
