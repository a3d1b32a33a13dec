import { formatLogInsn, type Insn } from '@bpfkit/asm';
import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { bpfFuncId } from '@bpfkit/uapi';
import type { CheckedRequest } from './checked-request.js';
import type { InsnRewrite } from '@bpfkit/kernel-api';
import { arenaRewrites } from './arena.js';
import { StackLiveness } from './stack-liveness.js';
import { probeMemRewrites } from './probe-mem.js';
import { addLoopInlineStack } from './callbacks.js';
import { checkAluOp } from './check-alu.js';
import { checkFuncCall, checkHelperCall } from './check-call.js';
import { checkKfuncCall } from './check-kfunc.js';
import { iterActiveAtR1, iterActiveDepthsDiffer } from './kfunc-iter.js';
import { isIterNextCall, isKfuncCall, kfuncCallName, kfuncUnderLockAllowed, unresolvedKfuncError } from './kfunc-meta.js';
import { processExit } from './check-exit.js';
import { checkCondJmpOp } from './check-jmp.js';
import { checkLd, isLdAbsInd } from './check-ld.js';
import { checkLdx, checkStore } from './check-mem.js';
import { checkMaxStackDepth } from './stack-depth.js';
import { checkReservedFields } from './check-reserved.js';
import { VerifierEnv } from './env.js';
import { Fastcall } from './fastcall.js';
import { addMayGotoStack } from './may-goto.js';
import { ALU, ALU64, CALL, cls, EXIT, isMayGoto, isSyncCallbackCall, JA, JMP, JMP32, jumpTarget, LD, LDX, op, PSEUDO_CALL, ST, STX } from './insns.js';
import { findGlobalFuncs, globalEntryState } from './global-funcs.js';
import { fail, Reject, type VerifierLog } from './log.js';
import { computeJmpPoints, computeLiveRegs, computePrunePoints } from './liveness.js';
import { propagatePrecision } from './precision.js';
import { cleanDeadRegs, statesEqual, statesMaybeLooping, updateBranchCounts, type Checkpoint } from './prune.js';
import { computeScc } from './scc.js';
import { SccVisits } from './scc-visits.js';
import { callArgCount } from './live-regs-log.js';
import { formatFrameState } from './state-log.js';
import { cloneState, constScalar, notInit, pointer, unknownScalar, type RegState, type VState } from './state.js';

const TAIL_CALL = bpfFuncId('tail_call');

/** `BPF_COMPLEXITY_LIMIT_INSNS`. */
export const COMPLEXITY_LIMIT_INSNS = 1_000_000;
/** `BPF_F_TEST_STATE_FREQ`: a checkpoint at every prune point. */
const TEST_STATE_FREQ = 1 << 3;
/** `BPF_FUNC_spin_unlock`: the one helper callable while a lock is held. */
const SPIN_UNLOCK = 94;

interface PendingDelta { afterInsn: number; insnText: string; label: number; delta: string }

export interface CheckResult { insnProcessed: number; stackDepth: number; subprogStack: readonly number[]; rewrites: readonly InsnRewrite[] }

/** `do_check`: walks every path of the program, one instruction at a time, on abstract register and stack states. */
export class Checker {
  private readonly env: VerifierEnv;

  constructor(
    log: VerifierLog, insns: readonly Insn[], req: CheckedRequest, progType: ProgTypeDescriptor | undefined, subprogs: readonly number[],
    private readonly callbackLoops = true,
    possibleCpus?: number,
  ) {
    this.env = new VerifierEnv(log, insns, req, progType, subprogs, callbackLoops, possibleCpus);
    // `find_prev_entry`: the newest checkpoint at the call still on the current path, with the same call chain.
    this.env.findPrevEntry = (state, pc) => this.explored.get(this.bucket(state, pc))?.find((sl) => sl.state.insnIdx === pc && sl.branches > 0 && sl.state.frames.length === state.frames.length &&
      sl.state.frames.every((f, i) => f.returnTo === state.frames[i]?.returnTo))?.state;
  }

  /** `env->insn_processed`. */
  get processed(): number {
    return this.env.insnProcessed;
  }

  /** Stack bytes of every subprogram as far as the walk got (a rejected load still prints them). */
  get subprogStackSoFar(): number[] {
    return Array.from({ length: Math.max(this.env.subprogs.length - 1, 1) }, (_, i) => this.env.subprogStack[i] ?? 0);
  }

  /** Checkpoints per hash bucket (`explored_states`), newest first. */
  private readonly explored = new Map<number, Checkpoint[]>();
  /** Instructions some path reached (`insn_aux_data.seen`). */
  private seen: Uint8Array = new Uint8Array(0);
  private liveIn: Uint16Array = new Uint16Array(0);
  private prunePoints: Uint8Array = new Uint8Array(0);
  /** The stack liveness analysis (`env->liveness`): which stored slots pruning may forget. */
  private liveStack: StackLiveness | undefined;
  private iterNext: Uint8Array = new Uint8Array(0);
  /** Loop visits and their backedges (`bpf_scc_visit`). */
  private scc: SccVisits | undefined;
  private jmpsProcessed = 0;
  private prevJmpsProcessed = 0;
  private prevInsnProcessed = 0;
  /** The instruction just checked entered or left a subprogram (for the state lines printed next). */
  private frameChange: 'call' | 'return' | undefined;
  /** `total_states`, `max_states_per_insn`. */
  totalStates = 0;
  /** `peak_states`: most checkpoints alive at once (in the lists, or evicted with paths still below them). */
  peakStates = 0;
  private exploredStates = 0;
  private freeListStates = 0;
  maxStatesPerInsn = 0;

  run(): CheckResult {
    const env = this.env;
    this.seen = new Uint8Array(env.insns.length);
    const callArgs = callArgCount(env.req, env.progType);
    this.liveIn = computeLiveRegs(env.insns, callArgs);
    env.liveIn = this.liveIn;
    this.prunePoints = computePrunePoints(env.insns);
    // An iterator's `next` call is a prune point and always a checkpoint (`mark_force_checkpoint`).
    this.iterNext = new Uint8Array(env.insns.length);
    env.insns.forEach((insn, i) => {
      if (!isIterNextCall(env.req, insn)) return;
      this.iterNext[i] = 1;
      this.prunePoints[i] = 1;
    });
    env.jmpPoints = computeJmpPoints(env.insns);
    this.liveStack = new StackLiveness({ insns: env.insns, subprogs: env.subprogs, prunePoints: this.prunePoints, log: env.log,
      callsCallback: (pc) => { const i = env.insns[pc]; return i !== undefined && isSyncCallbackCall(i); } });
    env.liveStack = this.liveStack;
    this.scc = new SccVisits(env, computeScc(env.insns, this.callbackLoops));
    env.globals = findGlobalFuncs(env);
    const regs: RegState[] = Array.from({ length: 11 }, () => notInit);
    regs[1] = pointer('ctx', 0);
    regs[10] = pointer('fp', 0, { frame: 0 });
    env.fastcall = new Fastcall(env.insns, env.subprogs, env.req);
    this.walk({ frames: [{ regs, stack: [], returnTo: -1, subprog: 0 }], refs: [], firstIdx: 0, lastIdx: -1, insnIdx: 0, hist: [] }, 0);
    this.checkGlobalFuncs();
    // The kernel's order after the walk: fastcall spills go (the stack may shrink), the depth is
    // checked, then inlined bpf_loop calls and may_goto counters add their slots.
    env.fastcall.shrinkStack(env.subprogStack);
    checkMaxStackDepth(env);
    addLoopInlineStack(env);
    addMayGotoStack(env, this.seen);
    // `fixup_kfunc_call`: a kfunc call left with id 0 on a path that was walked.
    if (env.insns.some((insn, i) => this.seen[i] === 1 && isKfuncCall(insn) && insn.imm === 0)) unresolvedKfuncError(env.log);
    // `opt_remove_dead_code` (privileged loads): a subprogram no path reached is removed, and not listed.
    const all = Array.from({ length: Math.max(env.subprogs.length - 1, 1) }, (_, i) => env.subprogStack[i] ?? 0);
    const subprogStack = env.privileges.bpfCapable ? all.filter((_, i) => i === 0 || this.seen[env.subprogs[i] ?? 0] === 1) : all;
    const rewrites = [...arenaRewrites(env), ...probeMemRewrites(env)];
    return { insnProcessed: env.insnProcessed, stackDepth: env.subprogStack[0] ?? 0, subprogStack, rewrites };
  }

  /**
   * `do_check_subprogs`: each global function a checked path called is verified on its own, from its
   * prototype's arguments, until no new one was called.
   */
  private checkGlobalFuncs(): void {
    const env = this.env;
    const verified = new Set<number>();
    for (let again = true; again;) {
      again = false;
      for (const [i, g] of env.globals) {
        if (!env.calledGlobals.has(i) || verified.has(i)) continue;
        if (env.log.verbose) env.log.line(`Validating ${g.name}() func#${String(i)}...`);
        // `free_states`: checkpoints of the previous pass prune nothing here (the counters go on).
        this.explored.clear();
        env.curParent = undefined;
        this.walk(globalEntryState(env, g), env.subprogs[i] ?? 0);
        if (env.log.verbose) env.log.line(`Func#${String(i)} ('${g.name}') is safe for any args that match its prototype`);
        verified.add(i);
        again = true;
      }
    }
  }

  /** `do_check` from one entry state; at log level 1 a pass that succeeds leaves nothing in the log. */
  private walk(entry: VState, entryPc: number): void {
    const env = this.env;
    const log = env.log;
    let state = entry;
    let pc = entryPc;
    let prevPc = -1;
    let pendingDelta: PendingDelta | undefined;
    let fromOnly = false;
    let printState = true;
    let from = -1;
    const lineInfo = env.req.lineInfo;
    lineInfo?.reset();
    for (;;) {
      this.seen[pc] = 1;
      if (++env.insnProcessed > COMPLEXITY_LIMIT_INSNS) {
        fail(log, 'E2BIG', 'too-many-insns', `BPF program is too large. Processed ${String(env.insnProcessed)} insn`);
      }
      const insn = env.insns[pc];
      if (insn === undefined) fail(log, 'EINVAL', 'fall-off', `invalid insn idx ${String(pc)} insn_cnt ${String(env.insns.length)}`);
      let next: number | 'exit';
      state.lastIdx = prevPc;
      state.insnIdx = pc;
      env.curHistEnt = undefined;
      if (this.prunePoints[pc] === 1 && this.isStateVisited(state, pc)) {
        pendingDelta = undefined;
        if (log.verbose) log.line(printState && from >= 0 ? `\nfrom ${String(from)} to ${String(pc)}: safe` : `${String(pc)}: safe`);
        next = 'exit';
      } else {
        this.flushDelta(pendingDelta);
        pendingDelta = undefined;
        if (printState && log.verbose) {
          const full = this.stateText(state, true);
          if (log.level2 && from >= 0) log.line(`\nfrom ${String(from)} to ${String(pc)}:${full}`);
          if (!fromOnly) log.line(`${String(pc)}:${full}`);
        }
        printState = false;
        fromOnly = false;
        if (env.jmpPoints[pc] === 1) env.pushHist(state);
        // Instructions are logged at levels 1 and 2 only; at 0 and stats nobody reads the text, so none is built.
        const insnText = log.verbose ? `${String(pc)}: ${formatLogInsn(insn, { allowPtrLeaks: env.privileges.allowPtrLeaks, callName: kfuncCallName(env.req) })}` : '';
        if (log.verbose) {
          lineInfo?.print(log, pc, '; ');
          log.line(insnText);
        }
        const afterInsn = log.pos;
        env.scratched.clear();
        if (env.scratchedStack.size !== 0) env.scratchedStack.clear();
        env.scratchedAll = false;
        const c = cls(insn.code);
        if (c === JMP || c === JMP32) this.jmpsProcessed++;
        env.insnIdx = pc;
        env.curState = state;
        env.liveStack?.resetWrites(state, pc);
        next = this.step(state, insn, pc);
        env.liveStack?.commitWrites();
        const change = this.frameChange;
        this.frameChange = undefined;
        if (change !== undefined && next !== 'exit') {
          // Entering a callee prints its whole state next; returning prints `from <exit> to <return>:` (level 2).
          printState = true;
          from = change === 'return' ? pc : -1;
          fromOnly = change === 'return';
        } else if (next !== 'exit' && log.verbose) {
          const o = op(insn.code);
          // A helper or kfunc call scratches r0-r5 (`check_reg_arg` of the caller-saved registers): its state is printed even with nothing in it.
          const call = o === CALL && c === JMP && insn.src !== PSEUDO_CALL;
          const delta = formatFrameState(env, state, state.frames.length - 1, env.scratchedAll, call);
          const condJmp = (c === JMP || c === JMP32) && o !== CALL && o !== EXIT && o !== JA;
          // A conditional jump prints its state at once; any other instruction's state is printed when the
          // next instruction is reached and not pruned (`print_insn_state`).
          if (delta !== '' || call) pendingDelta = { afterInsn, insnText, label: condJmp ? pc : next, delta };
          if (condJmp) this.flushDelta(pendingDelta);
          if (condJmp) pendingDelta = undefined;
        }
      }
      if (next === 'exit') {
        this.freeListStates -= updateBranchCounts(env.curParent, this.scc);
        env.liveStack?.update(state);
        pendingDelta = undefined;
        const popped = env.pending.pop();
        if (popped === undefined) break;
        if (!log.level2) log.reset(popped.logPos);
        state = popped.state;
        pc = popped.pc;
        from = popped.from;
        prevPc = popped.from;
        env.curParent = popped.parent;
        printState = true;
        fromOnly = false;
        continue;
      }
      prevPc = pc;
      pc = next;
    }
    if (!log.level2) log.reset(0);
  }

  /** `explored_state`: stored states are hashed by instruction and the innermost frame's call site. */
  private bucket(state: VState, pc: number): number {
    const f = state.frames[state.frames.length - 1];
    const callsite = f === undefined || f.returnTo < 0 ? -1 : f.returnTo - 1;
    return ((pc ^ callsite) >>> 0) % Math.max(this.env.insns.length, 1);
  }

  /**
   * `is_state_visited`: true when a finished checkpoint here covers the current state (prune);
   * otherwise maybe remember the current state. A loop back to an identical state is an error.
   */
  private isStateVisited(cur: VState, pc: number): boolean {
    const env = this.env;
    const key = this.bucket(cur, pc);
    const list = this.explored.get(key) ?? [];
    // A long jump history makes backtracking slow: it forces a checkpoint.
    // A callback-calling helper always gets a checkpoint: the callback's visits come back to it (`mark_force_checkpoint`).
    const here = env.insns[pc];
    const cbCall = here !== undefined && isSyncCallbackCall(here);
    const mayGoto = isMayGoto(env.insns[pc]);
    const iterNext = this.iterNext[pc] === 1;
    const force = (env.req.progFlags & TEST_STATE_FREQ) !== 0 || cur.hist.length > 40 || cbCall || mayGoto || iterNext;
    let addNew = force || (this.jmpsProcessed - this.prevJmpsProcessed >= 2 && env.insnProcessed - this.prevInsnProcessed >= 8);
    const allowUninit = env.privileges.allowUninitStack;
    let statesCnt = 0;
    for (let i = 0; i < list.length; i++) {
      const sl = list[i];
      if (sl === undefined) continue;
      // The kernel counts every state of the hash bucket, whatever its instruction.
      statesCnt++;
      if (sl.state.insnIdx !== pc) continue;
      if (sl.branches > 0 && cbCall) {
        // Another visit of a callback that changed nothing the previous visits did not cover: converged,
        // and (with callbackLoops) the backedge of the loop the calls make.
        if (statesEqual(sl.state, cur, false, allowUninit, false, this.liveIn)) return this.hit(sl, cur, pc, this.callbackLoops);
        if (!force && this.jmpsProcessed - this.prevJmpsProcessed < 20 && env.insnProcessed - this.prevInsnProcessed < 100) addNew = false;
      } else if (sl.branches > 0 && iterNext) {
        // Another pass through an iterator loop that the earlier pass covers, the iterator still active: converged.
        if (statesEqual(sl.state, cur, false, allowUninit, false, this.liveIn) && iterActiveAtR1(cur)) return this.hit(sl, cur, pc, true);
      } else if (sl.branches > 0) {
        // Another pass through a may_goto loop that changed nothing the earlier pass did not cover: converged.
        if (mayGoto && (sl.state.mayGotoDepth ?? 0) !== (cur.mayGotoDepth ?? 0) && statesEqual(sl.state, cur, false, allowUninit, false, this.liveIn)) {
          return this.hit(sl, cur, pc, true);
        }
        if (statesMaybeLooping(sl.state, cur) && statesEqual(sl.state, cur, true, allowUninit, true, this.liveIn) && !iterActiveDepthsDiffer(sl.state, cur) &&
          (sl.state.callbackUnroll ?? 0) === (cur.callbackUnroll ?? 0) && (sl.state.mayGotoDepth ?? 0) === (cur.mayGotoDepth ?? 0)) {
          env.req.lineInfo?.print(env.log, pc, '; ');
          env.log.line(`infinite loop detected at insn ${String(pc)}`);
          env.log.line(`cur state:${this.stateText(cur, true)}`);
          env.log.line(`old state:${this.stateText(sl.state, true)}`);
          throw new Reject('EINVAL', 'verifier:infinite-loop', `infinite loop detected at insn ${String(pc)}`);
        }
        if (!force && this.jmpsProcessed - this.prevJmpsProcessed < 20 && env.insnProcessed - this.prevInsnProcessed < 100) addNew = false;
      } else {
        // In a loop whose visit has backedges, precision is not final yet: ranges of imprecise scalars count
        // too, and the state keeps its dead registers (`incomplete_read_marks`) until the visit is done.
        const loop = this.scc?.incomplete(sl.state) === true;
        if (!sl.cleaned && !loop) {
          cleanDeadRegs(sl.state, pc, this.liveIn, this.liveStack?.slotAliveQuery(sl.state) ?? (() => true));
          sl.cleaned = true;
        }
        // Inside a bpf_loop callback, a state with fewer visits left does not cover one with more (the kernel
        // compares no callback_depth; its selftest iter_limit_bug shows a path that would be lost).
        if (statesEqual(sl.state, cur, false, allowUninit, loop ? false : env.privileges.bpfCapable, this.liveIn) && sameCallbackDepths(sl.state, cur)) {
          return this.hit(sl, cur, pc, loop);
        }
      }
      // A state that keeps missing is dropped from the list (it stays the parent of its paths).
      if (addNew) sl.misses++;
      // A loop head with paths still below it may miss far more before it goes: iterators need it to converge.
      const n = (cbCall || mayGoto || iterNext) && sl.branches > 0 ? 64 : 3;
      if (sl.misses > sl.hits * n + n) {
        list.splice(i, 1);
        i--;
        this.exploredStates--;
        if (sl.branches > 0) {
          sl.inFreeList = true;
          this.freeListStates++;
        }
      }
    }
    this.maxStatesPerInsn = Math.max(this.maxStatesPerInsn, statesCnt);
    if (!addNew) return false;
    const cp: Checkpoint = { state: cloneState(cur), cleaned: false, branches: 1, hits: 0, misses: 0, parent: env.curParent };
    // Newest first, as the kernel adds to the head of the list: it decides which state prunes and which misses.
    list.unshift(cp);
    this.explored.set(key, list);
    this.scc?.enter(cp);
    env.curParent = cp;
    cur.firstIdx = pc;
    cur.hist = [];
    this.prevJmpsProcessed = this.jmpsProcessed;
    this.prevInsnProcessed = env.insnProcessed;
    this.totalStates++;
    this.exploredStates++;
    this.peakStates = Math.max(this.peakStates, this.exploredStates + this.freeListStates + (this.scc?.backedges ?? 0));
    return false;
  }

  /** The `hit:` of `is_state_visited`: the current path is pruned; a loop's backedge is remembered. */
  private hit(sl: Checkpoint, cur: VState, pc: number, loop: boolean): true {
    const env = this.env;
    sl.hits++;
    if (env.jmpPoints[pc] === 1) env.pushHist(cur);
    propagatePrecision(env, sl.state, cur);
    if (loop && this.scc !== undefined) {
      this.scc.addBackedge(sl.state, cur, pc, env.curParent);
      this.peakStates = Math.max(this.peakStates, this.exploredStates + this.freeListStates + this.scc.backedges);
    }
    return true;
  }

  /** The registers an instruction changed, after it (`; R1=...`), or on a line of their own when other lines came between. */
  private flushDelta(d: PendingDelta | undefined): void {
    if (d === undefined) return;
    const log = this.env.log;
    if (log.pos !== d.afterInsn) {
      log.line(`${String(d.label)}:${d.delta}`);
      return;
    }
    log.reset(d.afterInsn - 1);
    const width = Math.ceil(Math.max(d.insnText.length + 5, 40) / 8) * 8 - d.insnText.length - 2;
    log.line(`${' '.repeat(width)};${d.delta}`);
  }

  /** `print_verifier_state` of the innermost frame. */
  private stateText(state: VState, full: boolean): string {
    return formatFrameState(this.env, state, state.frames.length - 1, full);
  }

  /** One instruction, by class. Returns the next pc, or 'exit' when the path ends. */
  /**
   * BPF_EXIT: back to the caller (with the level-2 lines of a return), or the end of the path. A tail call's
   * return is printed as the kernel prints it: the caller's next instruction shows only what changed.
   */
  private exitFrame(state: VState, tailCall = false): number | 'exit' {
    const env = this.env;
    const depth = state.frames.length;
    const callee = depth > 1 && env.log.verbose ? formatFrameState(env, state, depth - 1, true) : '';
    const to = processExit(env, state);
    if (depth > 1 && to !== 'exit') {
      if (!tailCall) this.frameChange = 'return';
      if (env.log.verbose) {
        env.log.line('returning from callee:');
        env.log.line(callee);
        env.log.line(`to caller at ${String(to)}:`);
        env.log.line(formatFrameState(env, state, state.frames.length - 1, true));
      }
    }
    return to;
  }

  private step(state: VState, insn: Insn, pc: number): number | 'exit' {
    const env = this.env;
    const c = cls(insn.code);
    // Each class checks its reserved fields before it reads a register (`check_reg_arg`).
    checkReservedFields(env.log, insn);
    env.checkRegNo(insn.dst);
    env.checkRegNo(insn.src);
    switch (c) {
      case ALU:
      case ALU64:
        checkAluOp(env, state, insn, c === ALU64);
        return pc + 1;
      case LDX:
        checkLdx(env, state, insn);
        return pc + 1;
      case STX:
      case ST:
        checkStore(env, state, insn, c === ST, pc);
        return pc + 1;
      case LD: {
        const next = checkLd(env, state, insn, pc);
        if (isLdAbsInd(insn) && state.frames.length > 1) {
          // A failed load ends the program with R0 = 0: inside a subprogram, a return to the caller, which the
          // path takes first (printed like a tail call's); the load that succeeded goes on after it later.
          env.pushStack(cloneState(state), pc + 1, pc);
          env.writeReg(state, 0, constScalar(0n));
          return this.exitFrame(state, true);
        }
        return next;
      }
      case JMP:
      case JMP32: {
        const o = op(insn.code);
        if (o === EXIT) return this.exitFrame(state);
        if (o === CALL) {
          if (state.lock !== undefined && insn.src !== PSEUDO_CALL && (insn.src !== 0 || insn.imm !== SPIN_UNLOCK) && !kfuncUnderLockAllowed(env, insn)) {
            fail(env.log, 'EINVAL', 'call-under-lock', 'function calls are not allowed while holding a lock');
          }
          if (insn.src === PSEUDO_CALL) {
            const depth = state.frames.length;
            const to = checkFuncCall(env, state, insn, pc);
            const caller = state.frames[depth - 1];
            if (state.frames.length > depth && caller !== undefined) {
              // `clear_caller_saved_regs`: the caller's r0-r5 do not survive the call.
              for (let r = 0; r <= 5; r++) caller.regs[r] = notInit;
              this.frameChange = 'call';
              if (env.log.verbose) {
                env.log.line('caller:');
                env.log.line(formatFrameState(env, state, depth - 1, true));
                env.log.line('callee:');
                env.log.line(formatFrameState(env, state, depth, true));
              }
            }
            return to;
          }
          if (isKfuncCall(insn)) {
            checkKfuncCall(env, state, insn);
            // Every call leaves R0 printed, even one that wrote nothing (a kfunc call with id 0).
            env.scratched.add(0);
            return pc + 1;
          }
          checkHelperCall(env, state, insn);
          env.scratched.add(0);
          if (insn.src === 0 && insn.imm === TAIL_CALL && state.frames.length > 1) {
            // A tail call from a subprogram that succeeds returns to its caller with the target's R0; the
            // path where it fails goes on after the call.
            env.pushStack(cloneState(state), pc + 1, pc);
            env.frame(state).regs[0] = unknownScalar;
            return this.exitFrame(state, true);
          }
          return pc + 1;
        }
        if (o === JA) return jumpTarget(insn, pc);
        return checkCondJmpOp(env, state, insn, pc, c === JMP32);
      }
      default:
        return fail(env.log, 'EINVAL', 'unknown-opcode', `unknown opcode ${insn.code.toString(16).padStart(2, '0')}`);
    }
  }
}

/** Every frame has made as many bpf_loop callback visits in both states. */
function sameCallbackDepths(o: VState, c: VState): boolean {
  for (let i = 0; i < o.frames.length; i++) if ((o.frames[i]?.callbackDepth ?? 0) !== (c.frames[i]?.callbackDepth ?? 0)) return false;
  return true;
}
