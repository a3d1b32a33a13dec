import type { Slots } from './slots.js';
import type { WasmWriter } from './wasmWriter.js';

/** A helper, kfunc or `callx` call in the program: the code passes its index to the runtime. */
export interface CallSite {
  readonly pc: number;
  readonly kind: 'helper' | 'kfunc' | 'callx';
  /** `BPF_FUNC_*` id (helpers). */
  readonly id: number;
  /** kfunc name (from `ProgramImage.kfuncs`). */
  readonly name?: string;
}

/** What instruction emission needs to know about the module it writes into. */
export interface EmitContext {
  readonly w: WasmWriter;
  readonly s: Slots;
  /**
   * Unverified images check every access through the `check` import, and
   * their subprograms share one register file as the interpreter's do: a
   * callee starts with the caller's r0–r9 and hands back r0–r5.
   */
  readonly verified: boolean;
  /** Count against the global instruction limit per block (else count in a local, flushed at exits). */
  readonly limitMode: boolean;
  /** Wasm function index of each subprogram entry slot. */
  readonly funcIndex: ReadonlyMap<number, number>;
  readonly sites: CallSite[];
  readonly kfuncs: ReadonlyMap<number, string> | undefined;
  /**
   * Labels between the code being emitted and the function's memory-fault
   * block (a `br` of this depth reaches it); the structuring pass sets it
   * before each block's body.
   */
  depth: number;
}
