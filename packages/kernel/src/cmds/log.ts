import { BpfError } from '@bpfkit/kernel-api';
import { BPF_LOG_MASK, BPF_LOG_SIZE_MAX } from '@bpfkit/uapi';
import type { SyscallContext } from '../task/syscall-context.js';

/** A user log buffer as `bpf_vlog_init` accepts it. */
export interface UserLog {
  readonly level: number;
  readonly size: number;
  /** Copies `text` (truncated to fit, NUL-terminated) to the user's buffer; nothing at level 0. */
  write(text: string): void;
}

/**
 * `bpf_vlog_init`'s checks (`bpf_verifier_log_attr_valid` in 6.18): buffer and
 * size come together or not at all, a buffer needs a level, no unknown level
 * bits, size at most `BPF_LOG_SIZE_MAX`. A level without a buffer is allowed
 * (the log is computed and dropped); a small buffer is allowed and gives
 * ENOSPC later, when the log does not fit.
 */
export function userLog(task: SyscallContext, level: number, size: number, buf: bigint): UserLog {
  const bad = (what: string): never => {
    throw new BpfError('EINVAL', 'log:bad-attr', what);
  };
  if ((buf !== 0n) !== (size !== 0)) bad('log_buf and log_size must be given together');
  if (buf !== 0n && level === 0) bad('log_buf given with log_level 0');
  if ((level & ~BPF_LOG_MASK) !== 0) bad(`unknown log_level bits 0x${level.toString(16)}`);
  if (size > BPF_LOG_SIZE_MAX) bad(`log_size ${size} is above ${BPF_LOG_SIZE_MAX}`);
  // bpf_verifier_log_needed(): without a buffer nothing is logged, so nothing can overflow.
  const effective = buf === 0n ? 0 : level;
  return {
    level: effective,
    size,
    write(text) {
      if (effective === 0 || text === '') return;
      const bytes = new TextEncoder().encode(text);
      const n = Math.min(bytes.length, size - 1);
      const out = new Uint8Array(n + 1);
      out.set(bytes.subarray(0, n));
      task.memory.write(buf, out);
    },
  };
}

/**
 * Runs a step that fills the user's log (the verifier, `btf_parse`): its log
 * goes to the buffer and its size to the attr's `log_true_size` field, also
 * when the step fails with a log (the kernel reports the size on error too).
 */
export function runWithLog<T extends { readonly log: string; readonly logTrueSize: number }>(
  log: UserLog,
  putTrueSize: (size: number) => void,
  step: () => T,
): T {
  let result: T;
  try {
    result = step();
  } catch (e) {
    if (e instanceof BpfError && e.log !== undefined) {
      log.write(e.log);
      putTrueSize(new TextEncoder().encode(e.log).length + 1);
    }
    throw e;
  }
  log.write(result.log);
  if (log.level !== 0) putTrueSize(result.logTrueSize);
  return result;
}
