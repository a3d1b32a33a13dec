import type { HelperCall, HelperEnv, RunEnv, RunnableProgram, VmArena, VmFaultKind } from '@bpfkit/kernel-api';
import { MAX_RUN_FRAMES } from '../program/limits.js';
import type { InterpCode } from './code.js';

/**
 * The interpreter's private fault signal: thrown from the hot loop and from
 * {@link HelperEnv.fault}, caught only where a run starts and turned into a
 * `{ kind: 'fault' }` outcome. It passes through helpers untouched (they must
 * not catch it).
 *
 * @example
 * throw new FaultSignal('memory', pc, 'invalid read of 4 bytes at 0x0 (pc 3)', 0, 4);
 */
export class FaultSignal extends Error {
  constructor(
    readonly kind: VmFaultKind,
    readonly pc: number,
    message: string,
    readonly addr?: number,
    readonly size?: number,
  ) {
    super(message);
    this.name = 'FaultSignal';
  }
}

/**
 * One run's machine state: the register file as (lo, hi) words, the frame
 * stack of bpf-to-bpf calls and callbacks, counters, and the memory views.
 * It lives as long as its loaded program and is reset at each run, so a run
 * allocates nothing per instruction.
 *
 * @example
 * const m = new Machine(buildInterpCode(image));
 * m.r[0]; // low word of r0
 */
export class Machine {
  /** r0–r15 as (lo, hi) pairs: r_i is `r[2i]`, `r[2i+1]`. */
  readonly r = new Int32Array(32);
  /** The same words as unsigned, the view helpers get in {@link HelperCall.regs}. */
  readonly regs = new Uint32Array(this.r.buffer);
  /**
   * Per frame: return pc, saved r6–r10 (10 words), `may_goto` budget, code
   * to return to, and the frame its program started at (see {@link progBase}).
   */
  readonly retPc = new Int32Array(MAX_RUN_FRAMES);
  readonly saved = new Int32Array(MAX_RUN_FRAMES * 10);
  readonly loops = new Int32Array(MAX_RUN_FRAMES);
  readonly retCode: (InterpCode | undefined)[] = new Array<InterpCode | undefined>(MAX_RUN_FRAMES).fill(undefined);
  readonly retBase = new Int32Array(MAX_RUN_FRAMES);
  /** Callers' r0–r5 while a callback runs (helpers read their arguments after calling back). */
  readonly callerArgs = new Int32Array(MAX_RUN_FRAMES * 12);
  /** r10 of each frame (frames past the first eight get their stack when a tail call first needs it). */
  readonly frameTop = new Int32Array(MAX_RUN_FRAMES);
  /** Frames with a stack so far. */
  framesWithStack = 0;
  /**
   * The frame the running program started at: 0, or where a tail call from a
   * subprogram put it. Its own calls may go `MAX_CALL_FRAMES - 1` deeper.
   */
  progBase = 0;
  /** Allocates stack for frames up to `upTo` (set by the engine, which owns the stack memory). */
  growStack: (upTo: number) => void = () => undefined;

  code: InterpCode;
  pc = 0;
  /** Current frame, 0 for the main program. */
  depth = 0;
  /** Instructions executed so far in this run (tail calls and callbacks included). */
  executed = 0;
  /** `insn-limit` fault when {@link executed} would exceed this. */
  limit = Infinity;
  /** A successful `bpf_tail_call` that the loop performs once the helper returns. */
  pendingTail: RunnableProgram | undefined = undefined;
  /** r1 the tail-called program starts with (the helper's ctx argument). */
  pendingTailCtx = 0;
  /** Whether a run is in progress (a nested run of the same program gets its own machine). */
  busy = false;

  env: RunEnv | undefined = undefined;
  arena: VmArena | undefined = undefined;
  bytes: Uint8Array = new Uint8Array(0);
  view: DataView = new DataView(new ArrayBuffer(0));
  generation = -1;
  helperEnv: HelperEnv | undefined = undefined;
  helperCall: HelperCall | undefined = undefined;

  constructor(code: InterpCode) {
    this.code = code;
  }

  /** Re-reads the arena's bytes after anything that may have grown it. */
  refresh(): void {
    const arena = this.arena;
    if (arena !== undefined && arena.generation !== this.generation) {
      this.bytes = arena.bytes;
      this.view = arena.view;
      this.generation = arena.generation;
    }
  }
}

/**
 * Saves r6–r10 of frame `depth` before it calls (copied word by word: `subarray` would allocate).
 *
 * @example
 * saveCalleeSaved(m, m.depth); // before a bpf-to-bpf call
 */
export function saveCalleeSaved(m: Machine, depth: number): void {
  const r = m.r;
  const saved = m.saved;
  const at = depth * 10;
  for (let i = 0; i < 10; i++) saved[at + i] = r[12 + i] ?? 0;
}

/**
 * Restores r6–r10 of frame `depth` when its callee returns.
 *
 * @example
 * restoreCalleeSaved(m, m.depth - 1); // at the callee's exit
 */
export function restoreCalleeSaved(m: Machine, depth: number): void {
  const r = m.r;
  const saved = m.saved;
  const at = depth * 10;
  for (let i = 0; i < 10; i++) r[12 + i] = saved[at + i] ?? 0;
}
