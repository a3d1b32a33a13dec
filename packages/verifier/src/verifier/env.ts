import type { StackLiveness } from './stack-liveness.js';
import type { Insn } from '@bpfkit/asm';
import type { ProgTypeDescriptor, VerifierRequest } from '@bpfkit/kernel-api';
import type { CheckedRequest } from './checked-request.js';
import type { Fastcall } from './fastcall.js';
import { fail, type VerifierLog } from './log.js';
import type { GlobalFunc } from './global-funcs.js';
import type { Checkpoint } from './prune.js';
import { notInit, type FrameState, type HistEntry, type LinkedReg, type RegState, type StackAccess, type VState } from './state.js';

/** A branch left for later (`push_stack`): the state, where it resumes, the jump it came from. */
export interface Pending { state: VState; pc: number; from: number; logPos: number; parent: Checkpoint | undefined }

/** `struct bpf_verifier_env`: what every check shares while one program is verified. */
export class VerifierEnv {
  insnProcessed = 0;
  /** Stack bytes each subprogram uses (`subprog_info[].stack_depth`). */
  readonly subprogStack: number[] = [];
  nextId = 1;
  /** The instruction being checked (`env->insn_idx`). */
  insnIdx = 0;
  /** The constant key of the map lookup being checked (`meta->const_map_key`). */
  constMapKey: bigint | undefined;
  /** The pointer type each load/store was first checked with (`insn_aux_data.ptr_type`). */
  readonly auxPtrType = new Map<number, string>();
  /** Registers live before each instruction (`live_regs_before`). */
  liveIn: Uint16Array = new Uint16Array(0);
  /** The `bpf_fastcall` patterns of the program (set before the walk). */
  fastcall: Fastcall | undefined;
  /** Size requested by the last `ringbuf_reserve`-style allocation argument. */
  lastAllocSize = 0;
  /** Registers and stack slots touched by the current instruction (`mark_reg_scratched`). */
  readonly scratched = new RegMask();
  readonly scratchedStack = new Set<number>();
  /** Everything counts as touched by the current instruction (`mark_verifier_state_scratched`). */
  scratchedAll = false;
  readonly pending: Pending[] = [];
  /** The last checkpoint on the current path (`cur->parent`). */
  curParent: Checkpoint | undefined;
  /** Jump targets and instructions after calls (`insn_aux_data.jmp_point`): entering them is recorded in the jump history. */
  jmpPoints: Uint8Array = new Uint8Array(0);
  /** The history entry of the instruction being checked, if it has one yet (`cur_hist_ent`). */
  curHistEnt: HistEntry | undefined;

  /** Global functions, verified on their own after the main program (by subprogram index). */
  globals: ReadonlyMap<number, GlobalFunc> = new Map();
  /** Global functions some checked path called (`func_info_aux.called`): they are verified next. */
  readonly calledGlobals = new Set<number>();

  /** Subprograms run as async callbacks (`subprog_info[].is_async_cb`): their stack is not their caller's. */
  readonly asyncSubprogs = new Set<number>();

  /** The stack liveness analysis, whose updates the level-2 log shows (undefined below level 2). */
  liveStack: StackLiveness | undefined;
  /** The state being walked (`env->cur_state`). */
  curState: VState | undefined;

  /** `bpf_mark_stack_read` of slot `spi` in frame `frameno` by the current instruction. */
  markStackRead(frameno: number, spi: number): void {
    if (this.liveStack !== undefined && this.curState !== undefined) this.liveStack.read(this.curState, frameno, this.insnIdx, spi);
  }

  /** `bpf_mark_stack_write` of slot `spi` in frame `frameno` by the current instruction. */
  markStackWrite(frameno: number, spi: number): void {
    this.liveStack?.write(frameno, spi);
  }

  /** bpf_loop calls that can be inlined, by instruction (`insn_aux_data.loop_inline_state`). */
  readonly loopInline = new Map<number, { fit: boolean; subprog: number }>();
  /** `find_prev_entry`: the newest checkpoint at `pc` still being explored on this path (set by the checker). */
  findPrevEntry: ((state: VState, pc: number) => VState | undefined) | undefined;

  /** `push_jmp_history`: records the current instruction (once; later calls add to its entry). */
  pushHist(state: VState, stack?: StackAccess, linked?: readonly LinkedReg[], stackRegs?: HistEntry['stackRegs']): void {
    let e = this.curHistEnt;
    if (e === undefined) {
      e = { idx: state.insnIdx, prevIdx: state.lastIdx };
      state.hist.push(e);
      this.curHistEnt = e;
    }
    if (stack !== undefined) e.stack = stack;
    if (linked !== undefined) e.linked = linked;
    if (stackRegs !== undefined) e.stackRegs = stackRegs;
  }

  /** `push_stack`: the other way of a branch, explored later. */
  pushStack(state: VState, pc: number, from: number): void {
    this.pending.push({ state, pc, from, logPos: this.log.pos, parent: this.curParent });
    if (this.curParent !== undefined) this.curParent.branches++;
  }

  /** `push_async_cb`: a path of its own, from a fresh state with no parent checkpoint. */
  pushAsync(state: VState, pc: number, from: number): void {
    this.pending.push({ state, pc, from, logPos: this.log.pos, parent: undefined });
  }

  constructor(
    readonly log: VerifierLog,
    readonly insns: readonly Insn[],
    readonly req: CheckedRequest,
    readonly progType: ProgTypeDescriptor | undefined,
    readonly subprogs: readonly number[],
    /** The later 6.18 builds' callback loops (see `createVerifier`'s `callbackLoops`). */
    readonly callbackLoops = true,
    /** The kernel's `nr_cpu_ids`, when the verifier was told it. */
    readonly possibleCpus?: number,
  ) {}

  /** `grow_stack_state`: the frame's subprogram uses at least `size` bytes of stack, counted in whole 8-byte slots. */
  growStack(f: FrameState, size: number): void {
    const i = Math.max(f.subprog, 0);
    this.subprogStack[i] = Math.max(this.subprogStack[i] ?? 0, Math.ceil(size / 8) * 8);
  }

  get privileges(): VerifierRequest['privileges'] {
    return this.req.privileges;
  }

  /** `cur_func`: the innermost frame. */
  frame(state: VState): FrameState {
    const f = state.frames[state.frames.length - 1];
    if (f === undefined) throw new Error('verifier: no frame');
    return f;
  }

  /** `check_reg_arg(SRC_OP)`. */
  readReg(state: VState, regno: number): RegState {
    this.scratched.add(regno);
    const r = this.frame(state).regs[regno] ?? notInit;
    if (r.type === 'not_init') fail(this.log, 'EACCES', 'uninit-reg', `R${String(regno)} !read_ok`);
    return r;
  }

  /** `check_reg_arg(DST_OP)`. */
  writeReg(state: VState, regno: number, value: RegState): void {
    if (regno === 10) fail(this.log, 'EACCES', 'fp-read-only', 'frame pointer is read only');
    this.scratched.add(regno);
    this.frame(state).regs[regno] = value;
  }

  checkRegNo(regno: number): void {
    if (regno > 10) fail(this.log, 'EINVAL', 'bad-reg', `R${String(regno)} is invalid`);
  }
}

/**
 * A set of register numbers (0–10) in the bits of one number: cleared before every
 * instruction, where a `Set`'s `clear` would allocate a new table each time.
 */
export class RegMask {
  private bits = 0;
  add(regno: number): void {
    this.bits |= 1 << regno;
  }
  has(regno: number): boolean {
    return ((this.bits >>> regno) & 1) === 1;
  }
  clear(): void {
    this.bits = 0;
  }
}
