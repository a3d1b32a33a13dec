import type { TestRunResult } from '@bpfkit/kernel-api';
import { createPlainContext, MAX_BPF_FUNC_ARGS } from '../contexts/plain.js';
import { fail, runRepeated, type TestRunCall } from './common.js';

/**
 * `bpf_struct_ops_test_run`: only `bpf_dummy_ops` programs can be test-run,
 * with `ctx_in` holding exactly one u64 per argument of the member they
 * implement (no `ctx_in`: EINVAL). A `RunnableProgram` does not say which
 * struct and member a program was loaded for, so bpfkit takes any struct_ops
 * program as a dummy-ops one and any multiple of 8 bytes up to 12 arguments
 * as its arguments: the program runs with r1 pointing at them and its r0 is
 * the retval.
 *
 * @example
 * testRunStructOps({ prog, req: { ...req, ctxIn: u64s(1n) }, env, options });
 */
export function testRunStructOps(call: TestRunCall): TestRunResult {
  const { req, env } = call;
  const size = req.ctxIn?.length ?? 0;
  if (size === 0 || size % 8 !== 0 || size > MAX_BPF_FUNC_ARGS * 8) fail('EINVAL', 'struct-ops-args', `ctx_size_in ${size} is not the member's u64 arguments`);
  const ctx = createPlainContext(env.arena, req.ctxIn, size);
  try {
    const run = runRepeated(call, ctx, 1);
    return { retval: run.retval, durationNs: 0, truncated: false };
  } finally {
    env.arena.free(ctx);
  }
}
