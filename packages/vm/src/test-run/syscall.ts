import type { TestRunResult } from '@bpfkit/kernel-api';
import { createPlainContext } from '../contexts/plain.js';
import { fail, runRepeated, type TestRunCall } from './common.js';

const U16_MAX = 0xffff;

/**
 * `bpf_prog_test_run_syscall`: the context is a copy of `ctx_in` (at most
 * 65535 bytes, NULL without one), and after the run the kernel writes it back
 * over `ctx_in` — returned here as `ctxOut` without a `ctxSizeOut` (the
 * kernel writes no `ctx_size_out`), which the syscall side copies to the
 * `ctx_in` buffer. No data, `ctx_out`, `repeat`, `flags` or `batch_size`.
 *
 * @example
 * testRunSyscall({ prog, req, env, options }).ctxOut; // the context after the run
 */
export function testRunSyscall(call: TestRunCall): TestRunResult {
  const { req, env } = call;
  if (req.dataIn !== undefined || req.dataSizeOut !== 0 || req.ctxSizeOut !== 0 || req.repeat !== 0 || req.flags !== 0 || req.batchSize !== 0) {
    fail('EINVAL', 'syscall-unsupported-field', 'syscall program test runs take only ctx_in');
  }
  const size = req.ctxIn?.length ?? 0;
  if (size > U16_MAX) fail('EINVAL', 'ctx-size', `ctx_size_in ${size} above ${U16_MAX}`);
  const ctx = size === 0 ? 0 : createPlainContext(env.arena, req.ctxIn, size);
  try {
    const run = runRepeated(call, ctx, 1);
    if (size === 0) return { retval: run.retval, durationNs: 0, truncated: false };
    return { retval: run.retval, durationNs: 0, truncated: false, ctxOut: env.arena.bytes.slice(ctx, ctx + size) };
  } finally {
    if (ctx !== 0) env.arena.free(ctx);
  }
}
