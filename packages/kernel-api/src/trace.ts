import type { ErrnoName } from '@bpfkit/uapi';

/** How one check came out. `skip` = not evaluated (an earlier check decided). */
export type CheckOutcome = 'pass' | 'fail' | 'skip';

/**
 * One permission or validity check, as `bpfkit token explain` prints it:
 * what was checked, in which namespace, against which capability or delegate bit.
 */
export interface TraceStep {
  /** Stable id of the check, e.g. `token_create:userns-match`, `ns_capable`. */
  readonly check: string;
  readonly outcome: CheckOutcome;
  /**
   * One line for a person, true for this outcome: what was checked and how it
   * came out (`CAP_BPF in userns#2 (owner uid 100000): not effective` for a
   * failure, `insn_cnt 2 is within 1..4096` for a pass). A passing step never
   * carries the failure's wording.
   */
  readonly detail: string;
  /** The errno the check gives when it fails. */
  readonly errno?: ErrnoName;
  /** What would make a failing check pass. */
  readonly hint?: string;
}

/** Collects {@link TraceStep}s. The kernel passes one down every call path it checks. */
export interface Tracer {
  step(step: TraceStep): void;
  /** Runs `fn` with steps nested under a heading (e.g. `bpf_token_capable(CAP_BPF)`). */
  group<T>(title: string, fn: () => T): T;
}

/** A tracer that records nothing: the default on hot paths. */
export const NO_TRACE: Tracer = {
  step() {
    /* nothing recorded */
  },
  group(_title, fn) {
    return fn();
  },
};
