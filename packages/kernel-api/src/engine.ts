import type { BpfMap } from './bpf-map.js';

/**
 * Memory a program addresses: the stack, its context, packet data and map
 * values all live at 64-bit addresses in one space. Out-of-range accesses
 * throw (a verified program never makes one).
 */
export interface VmMemory {
  read(addr: bigint, length: number): Uint8Array;
  write(addr: bigint, bytes: Uint8Array): void;
}

/** A verified program, ready for an engine: the instructions after the verifier's rewrites. */
export interface ProgramImage {
  readonly progType: number;
  readonly expectedAttachType: number;
  /** Little-endian instructions (`xlated`), ld_imm64 map references resolved to `maps` indexes. */
  readonly insns: Uint8Array;
  /** Maps the program refers to, by the index its ld_imm64s carry. */
  readonly maps: readonly BpfMap[];
}

/** `BPF_PROG_TEST_RUN`'s inputs (the attr's `test` struct, decoded). */
export interface TestRunRequest {
  readonly dataIn?: Uint8Array;
  readonly ctxIn?: Uint8Array;
  /** `data_size_out`: how much of the output the caller can take (ENOSPC when it is too small). */
  readonly dataSizeOut?: number;
  readonly ctxSizeOut?: number;
  readonly repeat: number;
  readonly flags: number;
  readonly cpu: number;
}

/** What one test run reports back. */
export interface TestRunResult {
  /** The program's return value as `test.retval` holds it (32 bits). */
  readonly retval: number;
  readonly dataOut?: Uint8Array;
  readonly ctxOut?: Uint8Array;
  /** Average run time per repetition, from the injected clock. */
  readonly durationNs: number;
}

/** A program loaded into an engine. */
export interface LoadedProgram {
  run(request: TestRunRequest): TestRunResult;
  release(): void;
}

/**
 * Runs programs: the interpreter and the WebAssembly JIT implement this
 * (`@bpfkit/vm`); the kernel calls it for `BPF_PROG_TEST_RUN`.
 */
export interface ExecutionEngine {
  load(image: ProgramImage): LoadedProgram;
}
