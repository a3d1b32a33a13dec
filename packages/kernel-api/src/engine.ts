import type { BpfMap } from './bpf-map.js';
import type { HelperRegistry, ProgramServices } from './helpers.js';
import type { VmArena } from './vm-arena.js';

/**
 * A program ready for an engine: the instructions after the kernel's
 * load-time fix-ups (`resolve_pseudo_ldimm64`, `convert_pseudo_ld_imm64`):
 * - `ld_imm64` of a map (`BPF_PSEUDO_MAP_FD`/`_IDX`) holds the map's
 *   {@link BpfMap.address}, of a map value (`BPF_PSEUDO_MAP_VALUE`/`_IDX_VALUE`)
 *   the value's address, with `src_reg` cleared: to an engine it is a constant;
 * - `ld_imm64` with `BPF_PSEUDO_FUNC` keeps its `src_reg`, and `imm` holds the
 *   callback's absolute instruction index;
 * - helper calls keep their `BPF_FUNC_*` id, bpf-to-bpf calls their relative
 *   offset, kfunc calls (`BPF_PSEUDO_KFUNC_CALL`) are named in {@link kfuncs}.
 */
export interface ProgramImage {
  readonly progType: number;
  readonly expectedAttachType: number;
  /** Little-endian instructions, 8 bytes each. */
  readonly insns: Uint8Array;
  /** Maps the program refers to (kept alive with it; tail calls and helpers find them by address). */
  readonly maps: readonly BpfMap[];
  /** kfunc calls: instruction index → kfunc name (`bpf_iter_num_new`…). */
  readonly kfuncs?: ReadonlyMap<number, string>;
  /**
   * False for a program no verifier has checked (the API allows it, for
   * learning and fuzzing): engines then check every memory access, every
   * jump and every helper argument, and report a {@link VmFault} instead.
   */
  readonly verified: boolean;
}

/** Why a run stopped before `exit`. */
export type VmFaultKind =
  /** A load, store or atomic outside the arena's allocations. */
  | 'memory'
  /** An opcode or operand no engine can execute (unverified programs only). */
  | 'invalid-insn'
  /** A jump or call outside the program, or falling off its end. */
  | 'bad-jump'
  /** More instructions than the run's limit allow. */
  | 'insn-limit'
  /** Deeper than `MAX_CALL_FRAMES` bpf-to-bpf calls. */
  | 'call-depth'
  /** A helper or kfunc that does not exist, or one given an argument it cannot use. */
  | 'helper';

/** A run that stopped on a bad instruction: where, and what it touched. */
export interface VmFault {
  readonly kind: VmFaultKind;
  /** Instruction index in the program that faulted. */
  readonly pc: number;
  /** For `memory`: the address accessed and the access size in bytes. */
  readonly addr?: number;
  readonly size?: number;
  /** One line, e.g. `invalid read of 4 bytes at 0x0 (pc 3)`. */
  readonly message: string;
}

/** What one run produced: `r0` at `exit`, or a fault. */
export type RunOutcome =
  | { readonly kind: 'exit'; readonly r0: bigint; readonly insnsExecuted: number }
  | { readonly kind: 'fault'; readonly fault: VmFault; readonly insnsExecuted: number };

/** Everything a run needs from its surroundings. */
export interface RunEnv {
  readonly arena: VmArena;
  /** The CPU the program runs on (`bpf_get_smp_processor_id`, per-CPU maps). */
  readonly cpu: number;
  readonly helpers: HelperRegistry;
  readonly services: ProgramServices;
  /** Stop with an `insn-limit` fault after this many instructions (default: no limit). */
  readonly insnLimit?: number;
  /**
   * `LD_ABS`/`LD_IND`: the packet the context's skb holds. Returns the
   * big-endian value of `size` bytes at `offset`, or -1 when out of range
   * (the program then exits with r0 = 0, as the kernel's does).
   */
  loadSkbBytes?(offset: number, size: 1 | 2 | 4): number;
}

/** Initial argument registers: r1 is the context (or memory) address; r2–r5 for runtimes that pass more. */
export interface RunArgs {
  readonly r1: number;
  readonly r2?: number;
  readonly r3?: number;
  /**
   * Where the run starts: the instruction index of a subprogram (default 0, the
   * main program). An async callback (`bpf_timer`'s) runs this way, as an
   * invocation of its own with the program's other subprograms at hand.
   */
  readonly entry?: number;
}

/** A program an engine prepared (the interpreter decodes, the JIT compiles). */
export interface LoadedProgram {
  readonly image: ProgramImage;
  /** Runs once. Never throws for anything the program does: a bad access is a fault. */
  run(args: RunArgs, env: RunEnv): RunOutcome;
  /** Frees what the engine holds (compiled modules, decoded code). */
  release(): void;
}

/**
 * Runs programs: `@bpfkit/vm`'s interpreter and WebAssembly JIT implement it,
 * and the kernel calls it for `BPF_PROG_TEST_RUN`.
 *
 * @example
 * const prog = engine.load({ progType: 6, expectedAttachType: 0, insns, maps: [], verified: true });
 * const out = prog.run({ r1: ctxAddr }, env);
 */
export interface ExecutionEngine {
  /** `interp` or `wasm`. */
  readonly name: string;
  /** Throws `BpfError('EINVAL')` only for an image it cannot even decode (a truncated `ld_imm64`…). */
  load(image: ProgramImage): LoadedProgram;
}
