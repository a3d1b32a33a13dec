import type { ExecutionEngine, LoadedProgram, ProgramImage, RunArgs, RunEnv, RunOutcome, VmArena } from '@bpfkit/kernel-api';
import { BPF_MAX_LOOPS, MAX_BPF_STACK, MAX_CALL_FRAMES, MAX_RUN_FRAMES, STACK_AREA_BYTES } from '../program/limits.js';
import { enterRun, leaveRun } from '../program/tail-calls.js';
import { buildInterpCode, type InterpCode } from './code.js';
import { execute } from './exec.js';
import { bindHelperEnv, registerValue, setRegister } from './helper-env.js';
import { FaultSignal, Machine } from './machine.js';
import { warmUp } from './warmup.js';

/**
 * Options of {@link createInterpreter}; every field is optional, unknown fields are rejected.
 *
 * @example
 * createInterpreter({ insnLimit: 1_000_000 });
 */
export interface InterpreterOptions {
  /** Instruction limit for runs whose `RunEnv` sets none (default: no limit). */
  readonly insnLimit?: number;
}

const KNOWN_OPTIONS = new Set(['insnLimit']);

/**
 * The stack a machine uses in one arena: eight frames of `MAX_BPF_STACK`
 * bytes, plus chunks of eight more that tail calls from subprograms may add
 * (kept until the program is released).
 *
 * @example
 * const stack = newStackArea();
 * bindStack(m, stack);
 */
export interface StackArea {
  arena: VmArena | undefined;
  addr: number;
  readonly extra: number[];
}

/** An empty {@link StackArea}. @example const stack = newStackArea(); */
export function newStackArea(): StackArea {
  return { arena: undefined, addr: 0, extra: [] };
}

function setFrameTops(m: Machine, first: number, chunk: number): void {
  for (let j = 0; j < MAX_CALL_FRAMES; j++) m.frameTop[first + j] = chunk + STACK_AREA_BYTES - MAX_BPF_STACK * j;
}

/**
 * Lets the machine grow its stack in `stack` when a tail call needs frames
 * past the ones it has (one closure per machine, made once).
 *
 * @example
 * bindStack(m, stack); // then m.growStack(depth + MAX_CALL_FRAMES) in a tail call
 */
export function bindStack(m: Machine, stack: StackArea): void {
  m.growStack = (upTo) => {
    const arena = stack.arena;
    if (arena === undefined) return;
    const want = Math.min(upTo, MAX_RUN_FRAMES);
    while (m.framesWithStack < want) {
      const chunk = arena.alloc(STACK_AREA_BYTES, 16);
      stack.extra.push(chunk);
      setFrameTops(m, m.framesWithStack, chunk);
      m.framesWithStack += MAX_CALL_FRAMES;
    }
  };
}

/** Frees every chunk of a stack area. @example freeStack(stack); */
export function freeStack(stack: StackArea): void {
  const arena = stack.arena;
  if (arena === undefined) return;
  arena.free(stack.addr);
  for (const chunk of stack.extra) arena.free(chunk);
  stack.extra.length = 0;
  stack.arena = undefined;
}

/**
 * Puts a machine in the state a run starts in: registers zeroed but r1, r2
 * and r10, frame 0 with a fresh `may_goto` budget, the stack zeroed (so runs
 * are deterministic and engines agree on uninitialised reads), counters reset.
 *
 * @example
 * resetMachine(m, code, stack, { r1: ctx }, env, Infinity);
 */
export function resetMachine(m: Machine, code: InterpCode, stack: StackArea, args: RunArgs, env: RunEnv, defaultLimit: number): void {
  const arena = env.arena;
  if (stack.arena !== arena) {
    // A new arena: a new stack (frame tops are set where the stack is allocated, not per run).
    freeStack(stack);
    stack.addr = arena.alloc(STACK_AREA_BYTES, 16);
    stack.arena = arena;
    setFrameTops(m, 0, stack.addr);
    m.framesWithStack = MAX_CALL_FRAMES;
  } else {
    const bytes = arena.bytes;
    bytes.fill(0, stack.addr, stack.addr + STACK_AREA_BYTES);
    const extra = stack.extra;
    for (let k = 0; k < extra.length; k++) {
      const chunk = extra[k] ?? 0;
      bytes.fill(0, chunk, chunk + STACK_AREA_BYTES);
    }
  }
  m.arena = arena;
  m.generation = -1;
  m.refresh();
  bindHelperEnv(m, env, code.image.progType);
  const r = m.r;
  r.fill(0);
  setRegister(r, 1, args.r1);
  setRegister(r, 2, args.r2 ?? 0);
  setRegister(r, 3, args.r3 ?? 0);
  r[20] = m.frameTop[0] ?? 0;
  m.code = code;
  m.pc = args.entry ?? 0;
  m.depth = 0;
  m.progBase = 0;
  m.executed = 0;
  m.limit = env.insnLimit ?? defaultLimit;
  m.pendingTail = undefined;
  m.loops[0] = BPF_MAX_LOOPS;
}

/**
 * Turns what a run ended with into its outcome; rethrows anything that is not the interpreter's own fault.
 *
 * @example
 * try { execute(m, 0, Infinity); } catch (e) { return outcomeOf(m, e); }
 */
export function outcomeOf(m: Machine, error: unknown): RunOutcome {
  if (error instanceof FaultSignal) {
    return {
      kind: 'fault',
      fault: {
        kind: error.kind,
        pc: error.pc,
        ...(error.addr === undefined ? {} : { addr: error.addr }),
        ...(error.size === undefined ? {} : { size: error.size }),
        message: error.message,
      },
      insnsExecuted: m.executed,
    };
  }
  throw error;
}

/**
 * A program the interpreter loaded: decoded once, run any number of times.
 *
 * @example
 * const prog = new InterpProgram(image, Infinity);
 * prog.run({ r1: 0 }, env);
 */
export class InterpProgram implements LoadedProgram {
  readonly #code: InterpCode;
  readonly #machine: Machine;
  readonly #stack: StackArea = newStackArea();
  readonly #defaultLimit: number;
  #released = false;

  constructor(image: ProgramImage, defaultLimit: number) {
    this.#code = buildInterpCode(image);
    this.#machine = new Machine(this.#code);
    bindStack(this.#machine, this.#stack);
    this.#defaultLimit = defaultLimit;
  }

  get image(): ProgramImage {
    return this.#code.image;
  }

  /** The decoded form, for tail calls from other interpreter programs (they run it in place). */
  interpCode(): InterpCode | undefined {
    return this.#released ? undefined : this.#code;
  }

  run(args: RunArgs, env: RunEnv): RunOutcome {
    if (this.#released) throw new Error('interp: run of a released program');
    let m = this.#machine;
    let stack = this.#stack;
    // A run inside a run of the same program (a helper that runs it again) gets its own machine and stack.
    const nested = m.busy;
    if (nested) {
      m = new Machine(this.#code);
      stack = newStackArea();
      bindStack(m, stack);
    }
    m.busy = true;
    enterRun();
    try {
      resetMachine(m, this.#code, stack, args, env, this.#defaultLimit);
      const entry = args.entry ?? 0;
      if (entry !== 0 && !this.#code.layout.isStart(entry)) {
        throw new FaultSignal('bad-jump', entry, `entry ${entry} is not the start of a subprogram`);
      }
      execute(m, 0, Infinity);
      const r = m.r;
      return { kind: 'exit', r0: registerValue(r[0] ?? 0, r[1] ?? 0), insnsExecuted: m.executed };
    } catch (e) {
      return outcomeOf(m, e);
    } finally {
      leaveRun();
      m.busy = false;
      if (nested) freeStack(stack);
    }
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    freeStack(this.#stack);
  }
}

/**
 * The reference engine: a BPF interpreter with the semantics of the Linux
 * 6.18 kernel for ISA v1–v4 (see `execute` for the hot loop). Runs verified
 * images with host-safety checks only, unverified ones with every access
 * checked against the arena's allocations; anything bad ends the run as a
 * `fault` outcome, never an exception.
 *
 * Where the kernel leaves a value unspecified or has no equivalent, the
 * choices are (each has a test):
 * - the stack (8 frames of 512 bytes, one area per program and arena) is
 *   zeroed at the start of every run, so runs are deterministic;
 * - r1–r5 read 0 after LD_ABS/LD_IND (the kernel's rewrite leaves them
 *   scratch);
 * - `ld_imm64` with `BPF_PSEUDO_FUNC` gives `CALLBACK_TAG << 32 | index`;
 *   `callx` calls that subprogram, and calls helper N for a plain N (the
 *   bpf_conformance convention; the kernel has no `callx`);
 * - `may_goto` has a budget of `BPF_MAX_LOOPS` per frame, as the verifier's
 *   rewrite for the interpreter gives it (x86's JIT uses a timed budget);
 * - a tail call into a program another engine loaded runs through that
 *   program's `run`, sharing the chain's count (`tailCallChain`).
 *
 * @example
 * const engine = createInterpreter();
 * const prog = engine.load({ progType: 0, expectedAttachType: 0, insns, maps: [], verified: false });
 * const out = prog.run({ r1: 0 }, env); // { kind: 'exit', r0: 42n, insnsExecuted: 2 }
 */
export function createInterpreter(options: InterpreterOptions = {}): ExecutionEngine {
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new TypeError(`createInterpreter: unknown option ${key}`);
  }
  const defaultLimit = options.insnLimit ?? Infinity;
  warmUp((insns, r1, r2, env) => {
    const prog = new InterpProgram({ progType: 0, expectedAttachType: 0, insns, maps: [], verified: true }, Infinity);
    prog.run({ r1, r2 }, env);
    prog.release();
  });
  return {
    name: 'interp',
    load: (image) => new InterpProgram(image, defaultLimit),
  };
}
