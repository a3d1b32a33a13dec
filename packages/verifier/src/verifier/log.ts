import { BpfError, type BpfErrorReason } from '@bpfkit/kernel-api';
import type { ErrnoName } from '@bpfkit/uapi';

/** `BPF_LOG_LEVEL1`, `BPF_LOG_LEVEL2`, `BPF_LOG_STATS`, `BPF_LOG_FIXED`. */
export const LOG_LEVEL1 = 1, LOG_LEVEL2 = 2, LOG_STATS = 4, LOG_FIXED = 8;
const LOG_MASK = LOG_LEVEL1 | LOG_LEVEL2 | LOG_STATS | LOG_FIXED;

/**
 * `struct bpf_verifier_log`: the whole text is kept (so `log_true_size` is exact);
 * the buffer the caller sees is cut at `finalize`, the rotating way (keep the tail)
 * unless BPF_LOG_FIXED.
 */
export class VerifierLog {
  // The text as appended chunks: a long log is cut back (reset) and measured
  // (pos, lineStart) at every state, which on one flat string costs its length.
  private readonly chunks: string[] = [];
  private length = 0;
  private lastLineStart = 0;

  constructor(readonly level: number, private readonly size: number) {
    if ((level & ~LOG_MASK) !== 0) throw new BpfError('EINVAL', 'verifier:bad-log-attr', 'log_level has unknown bits');
  }

  /** Instruction and state lines are written at level 1 or 2. */
  get verbose(): boolean {
    return (this.level & (LOG_LEVEL1 | LOG_LEVEL2)) !== 0;
  }
  get level2(): boolean {
    return (this.level & LOG_LEVEL2) !== 0;
  }
  get pos(): number {
    return this.length;
  }
  write(s: string): void {
    if (this.level === 0 || s === '') return;
    const nl = s.lastIndexOf('\n');
    if (nl >= 0) this.lastLineStart = this.length + nl + 1;
    this.chunks.push(s);
    this.length += s.length;
  }
  line(s: string): void {
    this.write(`${s}\n`);
  }
  /** `bpf_vlog_reset`: drops what a finished path printed. */
  reset(pos: number): void {
    while (this.length > pos) {
      const last = this.chunks.pop() as string;
      this.length -= last.length;
      if (this.length < pos) {
        this.chunks.push(last.slice(0, pos - this.length));
        this.length = pos;
      }
    }
    if (this.lastLineStart > this.length) this.lastLineStart = this.findLineStart();
  }
  /** Column of the last line, for the `;` alignment of state after an instruction. */
  lineStart(): number {
    return this.lastLineStart;
  }

  private findLineStart(): number {
    let end = this.length;
    for (let i = this.chunks.length - 1; i >= 0; i--) {
      const chunk = this.chunks[i] as string;
      end -= chunk.length;
      const nl = chunk.lastIndexOf('\n');
      if (nl >= 0) return end + nl + 1;
    }
    return 0;
  }

  /** `bpf_vlog_finalize`: the visible log, its true size, and whether it was truncated (ENOSPC). */
  finalize(): { log: string; trueSize: number; truncated: boolean } {
    const text = this.chunks.join('');
    const bytes = new TextEncoder().encode(text);
    const trueSize = this.level === 0 ? 0 : bytes.length + 1;
    if (this.level === 0 || trueSize <= this.size) return { log: text, trueSize, truncated: false };
    const keep = Math.max(this.size - 1, 0);
    const cut = (this.level & LOG_FIXED) !== 0 ? bytes.slice(0, keep) : bytes.slice(bytes.length - keep);
    return { log: new TextDecoder().decode(cut), trueSize, truncated: true };
  }
}

/** A verifier rejection on its way out: errno, reason, the reason line already logged. */
export class Reject extends Error {
  constructor(readonly code: ErrnoName, readonly reason: BpfErrorReason, message: string) {
    super(message);
  }
}

/** Logs the reason line (as `verbose()` does) and aborts verification. */
export function fail(log: VerifierLog, code: ErrnoName, what: string, message: string): never {
  log.line(message);
  throw new Reject(code, `verifier:${what}`, message);
}

/** Like {@link fail}, for the kernel's messages that have no newline: the next line (the stats) goes on after it. */
export function failUnterminated(log: VerifierLog, code: ErrnoName, what: string, message: string): never {
  log.write(message);
  throw new Reject(code, `verifier:${what}`, message);
}

/** Aborts verification without a log line, where the kernel returns an errno and says nothing. */
export function refuse(code: ErrnoName, what: string, message: string): never {
  throw new Reject(code, `verifier:${what}`, message);
}
