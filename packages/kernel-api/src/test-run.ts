import type { HelperRegistry, ProgramServices, RunnableProgram } from './helpers.js';
import type { VmArena } from './vm-arena.js';

/** `BPF_PROG_TEST_RUN`'s inputs: the attr's `test` struct, with the user buffers already copied in. */
export interface TestRunRequest {
  readonly dataIn?: Uint8Array;
  readonly ctxIn?: Uint8Array;
  /** `data_size_out`: room in the caller's `data_out` (0 = no `data_out`). */
  readonly dataSizeOut: number;
  /** `ctx_size_out`: room in the caller's `ctx_out` (0 = no `ctx_out`). */
  readonly ctxSizeOut: number;
  readonly repeat: number;
  readonly flags: number;
  readonly cpu: number;
  readonly batchSize: number;
}

/** What a test run reports back; the kernel copies it into the attr and the caller's buffers. */
export interface TestRunResult {
  /** `test.retval` (u32). */
  readonly retval: number;
  /** Bytes for `data_out`; `dataSizeOut` is the full size even when more than fits. */
  readonly dataOut?: Uint8Array;
  readonly dataSizeOut?: number;
  readonly ctxOut?: Uint8Array;
  readonly ctxSizeOut?: number;
  /** `test.duration`: mean ns per repetition, from the injected clock. */
  readonly durationNs: number;
  /**
   * The kernel copied `data_out` but it did not fit (`-ENOSPC` after the copy,
   * `bpf_test_finish`): the command fails with ENOSPC with sizes already written.
   */
  readonly truncated: boolean;
}

/** Where a test run happens. */
export interface TestRunEnv {
  readonly arena: VmArena;
  readonly helpers: HelperRegistry;
  readonly services: ProgramServices;
  /** Possible CPUs (`BPF_F_TEST_RUN_ON_CPU` checks `cpu` against it). */
  readonly cpus: number;
}

/**
 * `bpf_prog_test_run_*` of net/bpf/test_run.c, per program type: builds the
 * context the type sees from `data_in`/`ctx_in`, runs the program `repeat`
 * times and hands back what the kernel copies out. Throws `BpfError` with the
 * kernel's errno (EINVAL for fields a type may not set, ENOTSUPP for types
 * that cannot be test-run…).
 *
 * @example
 * const res = testRun.run(prog, { dataIn: packet, dataSizeOut: 1500, ctxSizeOut: 0, repeat: 1, flags: 0, cpu: 0, batchSize: 0 }, env);
 */
export interface TestRunService {
  run(prog: RunnableProgram, req: TestRunRequest, env: TestRunEnv): TestRunResult;
}
