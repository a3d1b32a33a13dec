import type { ExecutionEngine, HelperRegistry, ProgramImage, RunOutcome, VmArena } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { createInterpreter } from '@bpfkit/vm';
import { testEnv } from './env.js';
import { image, type ImageOptions } from './program.js';

/** What {@link runProgram} takes besides the program. */
export interface RunOptions extends ImageOptions {
  /** Bytes copied into an arena allocation; r1 = its address, r2 = its length. */
  readonly mem?: Uint8Array;
  readonly helpers?: HelperRegistry;
  readonly insnLimit?: number;
  readonly arena?: VmArena;
  readonly engine?: ExecutionEngine;
  readonly loadSkbBytes?: (offset: number, size: 1 | 2 | 4) => number;
  /** r1 when there is no `mem`. */
  readonly r1?: number;
}

/** A run's outcome plus the memory it ran on. */
export interface RunResult {
  readonly out: RunOutcome;
  readonly arena: VmArena;
  /** Address of `mem` (0 without). */
  readonly mem: number;
}

let shared: VmArena | undefined;

/** One arena for the runs of a test file that bring none (a `WebAssembly.Memory` per run is slow). */
export function sharedArena(): VmArena {
  shared ??= createVmArena({ initialBytes: 1 << 20 });
  return shared;
}

/** Loads and runs one program (kernel-syntax text, or an image), by default on the file's shared arena. */
export function runProgram(program: string | ProgramImage, options: RunOptions = {}): RunResult {
  const img = typeof program === 'string' ? image(program, options) : program;
  const arena = options.arena ?? sharedArena();
  let mem = 0;
  if (options.mem !== undefined) {
    mem = arena.alloc(options.mem.length);
    arena.bytes.set(options.mem, mem);
  }
  const engine = options.engine ?? createInterpreter();
  const prog = engine.load(img);
  try {
    const env = testEnv({
      arena,
      ...(options.helpers === undefined ? {} : { helpers: options.helpers }),
      ...(options.insnLimit === undefined ? {} : { insnLimit: options.insnLimit }),
      ...(options.loadSkbBytes === undefined ? {} : { loadSkbBytes: options.loadSkbBytes }),
    });
    const out = prog.run({ r1: options.mem === undefined ? (options.r1 ?? 0) : mem, r2: options.mem?.length ?? 0 }, env);
    return { out, arena, mem };
  } finally {
    prog.release();
  }
}

/** r0 of a run that must exit; a fault throws with its message so the test shows it. */
export function r0(program: string | ProgramImage, options: RunOptions = {}): bigint {
  const { out } = runProgram(program, options);
  if (out.kind !== 'exit') throw new Error(`expected exit, got fault: ${out.fault.message}`);
  return out.r0;
}

/** `BigInt.asUintN(64, x)`, what r0 reports. */
export function u64(x: bigint | number): bigint {
  return BigInt.asUintN(64, BigInt(x));
}
