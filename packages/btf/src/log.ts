/** `BPF_LOG_LEVEL1 | BPF_LOG_LEVEL2 | BPF_LOG_STATS | BPF_LOG_FIXED`: the log_level bits BTF_LOAD accepts. */
export const BPF_LOG_MASK = 0x0f;
/** `BPF_LOG_FIXED`: keep the head of a log that does not fit instead of its tail. */
export const BPF_LOG_FIXED = 8;

/**
 * The BTF verifier log (`env->log`): text is only kept when a log level is set, but the
 * line describing a failure is always remembered for the error message.
 */
export class BtfVerifierLog {
  readonly enabled: boolean;
  readonly #parts: string[] = [];
  /** The one-line summary of the failure, for `BpfError.message`. */
  message = '';

  constructor(level: number) {
    this.enabled = level !== 0;
  }

  write(text: string): void {
    if (this.enabled) this.#parts.push(text);
  }

  /** Logs an error text written as-is by the kernel (no trailing newline). */
  fail(text: string, message: string = text): void {
    this.write(text);
    this.message = message;
  }

  text(): string {
    return this.#parts.join('');
  }
}

/** What `bpf_vlog_finalize` leaves in the user's buffer. */
export interface FinalizedLog {
  /** What the caller's buffer holds (without the terminating NUL). */
  readonly log: string;
  /** `log_true_size`: bytes the whole log needs, NUL included (0 without a log level). */
  readonly trueSize: number;
  /** The log did not fit: the load fails with ENOSPC. */
  readonly truncated: boolean;
}

/**
 * Fits a log into a `logSize`-byte buffer the way the kernel does: a rotating buffer keeps
 * the tail, `BPF_LOG_FIXED` keeps the head, and a log that does not fit means ENOSPC.
 * `logSize` undefined means "unbounded" (a library caller, not `bpf()`).
 */
export function finalizeLog(text: string, level: number, logSize: number | undefined): FinalizedLog {
  if (level === 0) return { log: '', trueSize: 0, truncated: false };
  const bytes = text.length; // log text holds one char per byte (latin1)
  const trueSize = bytes + 1;
  if (logSize === undefined) return { log: text, trueSize, truncated: false };
  if (logSize === 0) return { log: '', trueSize, truncated: false };
  if (trueSize <= logSize) return { log: text, trueSize, truncated: false };
  const keep = logSize - 1;
  const log = (level & BPF_LOG_FIXED) !== 0 ? text.slice(0, keep) : text.slice(text.length - keep);
  return { log, trueSize, truncated: true };
}
