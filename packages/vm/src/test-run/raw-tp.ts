import type { TestRunResult } from '@bpfkit/kernel-api';
import { BPF_F_TEST_RUN_ON_CPU } from '@bpfkit/uapi';
import { createPlainContext, MAX_BPF_FUNC_ARGS } from '../contexts/plain.js';
import { fail, runRepeated, type TestRunCall } from './common.js';

/**
 * `bpf_prog_test_run_raw_tp`: `ctx_in` is the tracepoint's u64 arguments
 * (at most 12); no data, `ctx_out`, `repeat` or `batch_size`; `cpu` only with
 * `BPF_F_TEST_RUN_ON_CPU` (EINVAL), and then a possible CPU (ENXIO). Only
 * `retval` comes back.
 *
 * @example
 * testRunRawTp({ prog, req, env, options });
 */
export function testRunRawTp(call: TestRunCall): TestRunResult {
  const { req, env } = call;
  if (req.dataIn !== undefined || req.dataSizeOut !== 0 || req.ctxSizeOut !== 0 || req.repeat !== 0 || req.batchSize !== 0) {
    fail('EINVAL', 'raw-tp-unsupported-field', 'raw tracepoint test runs take no data, ctx_out, repeat or batch_size');
  }
  const size = req.ctxIn?.length ?? 0;
  if (size > MAX_BPF_FUNC_ARGS * 8) fail('EINVAL', 'ctx-size', `ctx_size_in ${size} above ${MAX_BPF_FUNC_ARGS * 8}`);
  const onCpu = (req.flags & BPF_F_TEST_RUN_ON_CPU) !== 0;
  if (!onCpu && req.cpu !== 0) fail('EINVAL', 'cpu-without-flag', 'cpu is set without BPF_F_TEST_RUN_ON_CPU');
  if (onCpu && req.cpu >= env.cpus) fail('ENXIO', 'no-such-cpu', `cpu ${req.cpu} is not online`);
  // NULL when there are no arguments, as the kernel passes.
  const ctx = size === 0 ? 0 : createPlainContext(env.arena, req.ctxIn, size);
  try {
    const run = runRepeated(call, ctx, 1, { cpu: onCpu ? req.cpu : 0 });
    return { retval: run.retval, durationNs: 0, truncated: false };
  } finally {
    if (ctx !== 0) env.arena.free(ctx);
  }
}
