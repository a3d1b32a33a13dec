import { formatInsn, type Insn } from '@bpfkit/asm';
import type { ProgramImage, RunArgs, RunEnv, RunOutcome } from '@bpfkit/kernel-api';
import { buildInterpCode, type InterpCode } from './code.js';
import { EXIT, execute } from './exec.js';
import { registerValue } from './helper-env.js';
import { bindStack, freeStack, newStackArea, outcomeOf, resetMachine } from './engine.js';
import { Machine } from './machine.js';
import { enterRun, leaveRun, tailCallChain } from '../program/tail-calls.js';

/** Registers a program names: r0–r10. */
const REGS = 11;

/**
 * One register an instruction changed, and its new value.
 *
 * @example
 * dbg.trace[0]?.changed; // [{ reg: 0, value: 1n }]
 */
export interface RegisterChange {
  /** 0–10. */
  readonly reg: number;
  readonly value: bigint;
}

/**
 * One executed instruction, as the trace records it.
 *
 * @example
 * // { pc: 2, insn: 'r0 += r1', frame: 0, changed: [{ reg: 0, value: 3n }] }
 */
export interface TraceEntry {
  /** Instruction index (in the program that ran it: a tail call switches programs). */
  readonly pc: number;
  /** The instruction in kernel syntax (`r0 += r1`), as `@bpfkit/asm` prints it. */
  readonly insn: string;
  /** Bpf-to-bpf call depth it ran at, 0 for the main program. */
  readonly frame: number;
  /** Registers whose value differs afterwards. */
  readonly changed: readonly RegisterChange[];
}

/**
 * Why {@link Debugger.step} or {@link Debugger.continue} returned.
 *
 * @example
 * if (dbg.continue() === 'breakpoint') console.log(dbg.pc);
 */
export type DebugStop = 'step' | 'breakpoint' | 'exit' | 'fault';

/**
 * Options of {@link createDebugger}.
 *
 * @example
 * createDebugger(image, env, { r1: 0 }, { trace: true, breakpoints: [4] });
 */
export interface DebuggerOptions {
  /** Record every executed instruction in {@link Debugger.trace} (default false). */
  readonly trace?: boolean;
  /** Initial breakpoints (instruction indices). */
  readonly breakpoints?: readonly number[];
}

/**
 * A program run one instruction at a time, for people: where it is, what
 * the registers hold, where to stop. It runs on the interpreter's own hot
 * loop (a step is a run with a budget of one instruction), so what it shows
 * is exactly what `run` does. A helper that calls back (`bpf_loop`…) is one
 * step: its callbacks run to their end inside it.
 *
 * @example
 * const dbg = createDebugger(image, env, { r1: 0 }, { trace: true });
 * dbg.breakpoints.add(4);
 * dbg.continue();       // 'breakpoint'
 * dbg.pc;               // 4
 * dbg.registers[0];     // 7n
 * dbg.continue();       // 'exit'
 * dbg.trace.map((t) => t.insn);
 */
export interface Debugger {
  /** The next instruction to run. */
  readonly pc: number;
  /** Bpf-to-bpf call depth, 0 for the main program. */
  readonly frame: number;
  /** r0–r10 as unsigned 64-bit values. */
  readonly registers: readonly bigint[];
  /** Instruction indices `continue` stops at (before running them). */
  readonly breakpoints: Set<number>;
  /** Instructions executed so far. */
  readonly insnsExecuted: number;
  /** How the run ended, once it has. */
  readonly outcome: RunOutcome | undefined;
  /** The executed instructions, when tracing is on; empty otherwise. */
  readonly trace: readonly TraceEntry[];
  /** The instruction at `pc` in kernel syntax. */
  disassemble(pc?: number): string;
  /** Runs one instruction. */
  step(): DebugStop;
  /** Runs to the next breakpoint, `exit` or fault. */
  continue(): DebugStop;
  /** Frees the stack the run holds in the arena. */
  release(): void;
}

function insnAt(code: InterpCode, pc: number): Insn | undefined {
  const p = code.decoded;
  if (pc < 0 || pc >= p.length || p.ldImm64Tail[pc] === 1) return undefined;
  const slot = { code: p.code[pc] ?? 0, dst: p.dst[pc] ?? 0, src: p.src[pc] ?? 0, off: p.off[pc] ?? 0, imm: p.imm[pc] ?? 0 };
  if (slot.code !== 0x18 || pc + 1 >= p.length) return slot;
  return { ...slot, second: { code: p.code[pc + 1] ?? 0, dst: p.dst[pc + 1] ?? 0, src: p.src[pc + 1] ?? 0, off: p.off[pc + 1] ?? 0, imm: p.imm[pc + 1] ?? 0 } };
}

class InterpDebugger implements Debugger {
  readonly breakpoints: Set<number>;
  readonly trace: TraceEntry[] = [];
  readonly #m: Machine;
  readonly #stack = newStackArea();
  readonly #tracing: boolean;
  readonly #text = new Map<InterpCode, Map<number, string>>();
  readonly #before = new Int32Array(2 * REGS);
  #outcome: RunOutcome | undefined = undefined;
  #tailCalls = 0;

  constructor(image: ProgramImage, env: RunEnv, args: RunArgs, options: DebuggerOptions) {
    const code = buildInterpCode(image);
    this.#m = new Machine(code);
    bindStack(this.#m, this.#stack);
    this.#tracing = options.trace ?? false;
    this.breakpoints = new Set(options.breakpoints ?? []);
    resetMachine(this.#m, code, this.#stack, args, env, Infinity);
  }

  get pc(): number {
    return this.#m.pc;
  }

  get frame(): number {
    return this.#m.depth;
  }

  get registers(): readonly bigint[] {
    const r = this.#m.r;
    const out: bigint[] = [];
    for (let i = 0; i < REGS; i++) out.push(registerValue(r[2 * i] ?? 0, r[2 * i + 1] ?? 0));
    return out;
  }

  get insnsExecuted(): number {
    return this.#m.executed;
  }

  get outcome(): RunOutcome | undefined {
    return this.#outcome;
  }

  disassemble(pc = this.#m.pc): string {
    const code = this.#m.code;
    let byPc = this.#text.get(code);
    if (byPc === undefined) {
      byPc = new Map();
      this.#text.set(code, byPc);
    }
    let text = byPc.get(pc);
    if (text === undefined) {
      const insn = insnAt(code, pc);
      text = insn === undefined ? '(not an instruction)' : formatInsn(insn);
      byPc.set(pc, text);
    }
    return text;
  }

  step(): DebugStop {
    if (this.#outcome !== undefined) return this.#outcome.kind;
    const m = this.#m;
    const r = m.r;
    const pc = m.pc;
    const frame = m.depth;
    const text = this.#tracing ? this.disassemble(pc) : '';
    if (this.#tracing) this.#before.set(r.subarray(0, 2 * REGS));
    let status: number;
    // Each step is a run of its own; the debugged run's tail-call chain carries over between steps.
    const outermost = tailCallChain.nesting === 0;
    enterRun();
    if (outermost) tailCallChain.count = this.#tailCalls;
    try {
      status = execute(m, 0, m.executed + 1);
    } catch (e) {
      this.#outcome = outcomeOf(m, e);
      this.#record(pc, text, frame);
      return 'fault';
    } finally {
      if (outermost) this.#tailCalls = tailCallChain.count;
      leaveRun();
    }
    this.#record(pc, text, frame);
    if (status === EXIT) {
      this.#outcome = { kind: 'exit', r0: registerValue(r[0] ?? 0, r[1] ?? 0), insnsExecuted: m.executed };
      return 'exit';
    }
    return 'step';
  }

  continue(): DebugStop {
    let stop = this.step();
    while (stop === 'step') {
      if (this.breakpoints.has(this.#m.pc)) return 'breakpoint';
      stop = this.step();
    }
    return stop;
  }

  release(): void {
    freeStack(this.#stack);
  }

  #record(pc: number, insn: string, frame: number): void {
    if (!this.#tracing) return;
    const r = this.#m.r;
    const before = this.#before;
    const changed: RegisterChange[] = [];
    for (let i = 0; i < REGS; i++) {
      if (r[2 * i] !== before[2 * i] || r[2 * i + 1] !== before[2 * i + 1]) changed.push({ reg: i, value: registerValue(r[2 * i] ?? 0, r[2 * i + 1] ?? 0) });
    }
    this.trace.push({ pc, insn, frame, changed });
  }
}

/**
 * Starts a run of `image` under a debugger: nothing has executed yet; `step`
 * and `continue` drive it. The run uses `env` as `LoadedProgram.run` would
 * (helpers, arena, instruction limit).
 *
 * @example
 * const dbg = createDebugger(image, env, { r1: ctx });
 * while (dbg.step() === 'step') console.log(dbg.pc, dbg.disassemble());
 */
export function createDebugger(image: ProgramImage, env: RunEnv, args: RunArgs, options: DebuggerOptions = {}): Debugger {
  return new InterpDebugger(image, env, args, options);
}
