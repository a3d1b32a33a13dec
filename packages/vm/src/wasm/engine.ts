import { BpfError, type ExecutionEngine, type LoadedProgram, type ProgramImage, type RunArgs, type RunEnv, type RunOutcome, type VmArena } from '@bpfkit/kernel-api';
import { compileModule, type CompiledModule, type ControlFlowMode } from './compileModule.js';
import { WasmProgramInstance } from './runtime.js';
import { checkSlots } from './slots.js';
import { wasmApi, type WasmApi, type WasmModule } from './webassembly.js';

/**
 * Options of {@link createWasmEngine}; every field is optional, unknown fields are rejected.
 *
 * @example
 * createWasmEngine({ controlFlow: 'dispatcher', fallback: createInterpreter() });
 */
export interface WasmEngineOptions {
  /**
   * `auto` (default): structured Wasm control flow for reducible subprograms
   * and a `br_table` dispatcher for irreducible ones; `dispatcher`: the
   * dispatcher everywhere (slower; for tests of that path).
   */
  readonly controlFlow?: ControlFlowMode;
  /**
   * Runs what the JIT cannot: images whose module the host refuses (too
   * large) and arenas without a `WebAssembly.Memory`. Without one, those
   * throw `BpfError('EINVAL')`.
   */
  readonly fallback?: ExecutionEngine;
}

const KNOWN = new Set(['controlFlow', 'fallback']);

interface Variant {
  readonly compiled: CompiledModule;
  readonly module: WasmModule;
}

class WasmLoadedProgram implements LoadedProgram {
  readonly image: ProgramImage;
  readonly #api: WasmApi;
  readonly #controlFlow: ControlFlowMode;
  readonly #fallback: ExecutionEngine | undefined;
  #fallbackProgram: LoadedProgram | undefined;
  /**
   * [without instruction limit, with one]: compiled on the program's first run, not at
   * load (tiered like V8, which compiles a function when it is first called): a load
   * that is only verified, pinned or inspected never pays for the WebAssembly module,
   * and BPF_PROG_LOAD costs what the verifier costs.
   */
  readonly #variants: [Variant | undefined, Variant | undefined] = [undefined, undefined];
  /** The variants the host refused to compile. */
  readonly #refused: [boolean, boolean] = [false, false];
  readonly #instances = new Map<VmArena, [WasmProgramInstance | undefined, WasmProgramInstance | undefined]>();
  #lastArena: VmArena | undefined;
  #last: WasmProgramInstance | undefined;

  constructor(image: ProgramImage, api: WasmApi, controlFlow: ControlFlowMode, fallback: ExecutionEngine | undefined) {
    this.image = image;
    this.#api = api;
    this.#controlFlow = controlFlow;
    this.#fallback = fallback;
  }

  #variant(i: 0 | 1): Variant {
    const have = this.#variants[i];
    if (have !== undefined) return have;
    const compiled = compileModule(this.image, { limitMode: i === 1, controlFlow: this.#controlFlow });
    const module = new this.#api.Module(compiled.bytes);
    const v = { compiled, module };
    this.#variants[i] = v;
    return v;
  }

  /** How each subprogram's control flow was laid out (entry slot → layout). */
  layout(): ReadonlyMap<number, 'structured' | 'dispatcher'> {
    return this.#variant(0).compiled.layout;
  }

  run(args: RunArgs, env: RunEnv): RunOutcome {
    const i = env.insnLimit === undefined ? 0 : 1;
    // Most callers run one program on one arena over and over: skip the map then.
    if (i === 0 && env.arena === this.#lastArena && this.#last !== undefined) return this.#last.run(args, env);
    let pair = this.#instances.get(env.arena);
    let inst = pair?.[i];
    if (inst === undefined) {
      if (env.arena.wasmMemory === undefined) return this.#runFallback(args, env);
      if (this.#refused[i] && this.#fallback !== undefined) return this.#runFallback(args, env);
      let v: Variant;
      try {
        v = this.#variant(i);
      } catch (e) {
        if (e instanceof BpfError) throw e;
        // The host refused the module (too large for its limits; the counting variant is a little
        // larger, so it may be refused alone): this variant runs in the fallback from now on.
        this.#refused[i] = true;
        if (this.#fallback !== undefined) return this.#runFallback(args, env);
        throw new BpfError('EINVAL', 'vm:jit-failed', `cannot compile the program to WebAssembly: ${e instanceof Error ? e.message : String(e)}`);
      }
      inst = new WasmProgramInstance(v.compiled, v.module, env.arena, this.#api, this.image, env.services);
      if (pair === undefined) {
        pair = [undefined, undefined];
        this.#instances.set(env.arena, pair);
      }
      pair[i] = inst;
    }
    if (i === 0) {
      this.#lastArena = env.arena;
      this.#last = inst;
    }
    return inst.run(args, env);
  }

  #runFallback(args: RunArgs, env: RunEnv): RunOutcome {
    if (this.#fallback === undefined) {
      throw new BpfError('EINVAL', 'vm:no-wasm-memory', 'the wasm engine needs an arena backed by a WebAssembly.Memory');
    }
    this.#fallbackProgram ??= this.#fallback.load(this.image);
    return this.#fallbackProgram.run(args, env);
  }

  release(): void {
    for (const pair of this.#instances.values()) {
      for (const inst of pair) inst?.release();
    }
    this.#instances.clear();
    this.#lastArena = undefined;
    this.#last = undefined;
    this.#fallbackProgram?.release();
    this.#fallbackProgram = undefined;
  }
}

/**
 * How the JIT laid out each subprogram of a program it loaded (entry slot →
 * `structured` or `dispatcher`); undefined for a program it did not compile.
 *
 * @example
 * wasmLayout(createWasmEngine().load(image))?.get(0); // 'structured'
 */
export function wasmLayout(program: LoadedProgram): ReadonlyMap<number, 'structured' | 'dispatcher'> | undefined {
  return program instanceof WasmLoadedProgram ? program.layout() : undefined;
}

/**
 * The JIT: compiles each program, on its first run, to a WebAssembly module
 * (one function per subprogram, BPF registers in Wasm locals, structured
 * control flow) that reads and writes the run's arena directly, and runs it
 * with the same results as the interpreter.
 *
 * @example
 * const engine = createWasmEngine();
 * const prog = engine.load({ progType: 6, expectedAttachType: 0, insns, maps: [], verified: true });
 * const out = prog.run({ r1: ctxAddr }, env); // { kind: 'exit', r0, insnsExecuted }
 */
export function createWasmEngine(options: WasmEngineOptions = {}): ExecutionEngine {
  for (const k of Object.keys(options)) if (!KNOWN.has(k)) throw new TypeError(`createWasmEngine: unknown option ${k}`);
  const controlFlow = options.controlFlow ?? 'auto';
  const fallback = options.fallback;
  return {
    name: 'wasm',
    load(image: ProgramImage): LoadedProgram {
      const api = wasmApi();
      if (api === undefined) {
        if (fallback !== undefined) return fallback.load(image);
        throw new BpfError('EINVAL', 'vm:no-webassembly', 'this host has no WebAssembly');
      }
      // Arena accesses (BPF_PROBE_MEM32) reach pages outside the linear memory: the interpreter runs them.
      if (image.maps.some((m) => m.bpfArena !== undefined)) {
        if (fallback !== undefined) return fallback.load(image);
        throw new BpfError('EOPNOTSUPP', 'vm:arena-needs-interpreter', 'programs with an arena run in the interpreter (no WebAssembly fallback given)');
      }
      // Compiled on the first run (a module the host refuses, too large, runs in the fallback then);
      // an image no engine can decode is refused now.
      checkSlots(image.insns);
      return new WasmLoadedProgram(image, api, controlFlow, fallback);
    },
  };
}

