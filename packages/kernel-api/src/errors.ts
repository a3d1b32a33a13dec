import { Errno, type ErrnoName } from '@bpfkit/uapi';

/**
 * A machine-readable reason for a failure, `<subsystem>:<what>`, e.g.
 * `token:cmd-not-delegated`, `caps:missing-CAP_BPF`, `verifier:invalid-mem-access`.
 */
export type BpfErrorReason = `${string}:${string}`;

/** Options for {@link BpfError}. */
export interface BpfErrorOptions {
  /** The full verifier log in the kernel's format, when a load failed in the verifier. */
  readonly log?: string;
  /** The error that led to this one. */
  readonly cause?: unknown;
}

/** `Error.stackTraceLimit`, typed as V8 reads it (any value; a non-number means no capture). */
const errorLimit = Error as { stackTraceLimit?: unknown };

/**
 * The one error type of bpfkit: the kernel's errno, a machine-readable reason and a
 * one-line message. The kernel only tells you `EPERM`; bpfkit also says why.
 *
 * @example
 * throw new BpfError('EPERM', 'token:userns-mismatch', "caller's user namespace is not the bpffs owner's");
 */
export class BpfError extends Error {
  /** The errno number, as `bpf()` would return it negated. */
  readonly errno: number;
  /** The errno name, e.g. `EPERM`. */
  readonly code: ErrnoName;
  /** Why, for programs: `<subsystem>:<what>`. */
  readonly reason: BpfErrorReason;
  /** The verifier log, when there is one. */
  readonly log: string | undefined;

  /**
   * Whether new errors record a stack trace (default off: `stack` is undefined). A BpfError is the
   * kernel's answer, not a bug: the errno, reason and message say what refused. Recording a stack
   * costs more than most decisions; turn it on when a trace helps (or set `BPFKIT_ERROR_STACKS=1`).
   *
   * @example
   * BpfError.captureStacks = true;
   */
  static captureStacks = typeof process !== 'undefined' && process.env.BPFKIT_ERROR_STACKS === '1';

  constructor(code: ErrnoName, reason: BpfErrorReason, message: string, options?: BpfErrorOptions) {
    const cause = options?.cause;
    if (BpfError.captureStacks) {
      super(message, cause === undefined ? undefined : { cause });
    } else {
      // A limit that is not a number turns V8's capture off altogether (a limit of 0 still records
      // an empty trace, at twice the cost): `stack` is then undefined.
      const limit = errorLimit.stackTraceLimit;
      errorLimit.stackTraceLimit = undefined;
      super(message, cause === undefined ? undefined : { cause });
      errorLimit.stackTraceLimit = limit;
    }
    this.name = 'BpfError';
    this.code = code;
    this.errno = Errno[code];
    this.reason = reason;
    this.log = options?.log;
  }

  /** The errno name: same as `code`, spelled as the kernel docs do. */
  get errnoName(): ErrnoName {
    return this.code;
  }
}

/** True when `e` is a {@link BpfError}, optionally with the given errno name. */
export function isBpfError(e: unknown, code?: ErrnoName): e is BpfError {
  return e instanceof BpfError && (code === undefined || e.code === code);
}
