import type { TestRunResult } from '@bpfkit/kernel-api';
import { BpfAttachType } from '@bpfkit/uapi';
import { fail, noFlagsCpuBatch, type TestRunCall } from './common.js';

/**
 * `bpf_prog_test_run_tracing` (fentry, fexit, fmod_ret): the kernel calls
 * its `bpf_fentry_test*` / `bpf_modify_return_test*` functions, which run the
 * program only when it is attached to them. bpfkit attaches nothing to
 * them, so the run reports what the unattached functions return: 0 for
 * fentry/fexit, and for fmod_ret `side_effect << 16 | ret` = 2 << 16 | 33.
 * Other attach types fail with EFAULT as the kernel's switch does.
 *
 * @example
 * testRunTracing({ prog, req, env, options }).retval; // 0
 */
export function testRunTracing(call: TestRunCall): TestRunResult {
  noFlagsCpuBatch(call.req);
  const t = call.prog.expectedAttachType;
  if (t === BpfAttachType.BPF_TRACE_FENTRY || t === BpfAttachType.BPF_TRACE_FEXIT) return { retval: 0, durationNs: 0, truncated: false };
  // bpf_modify_return_test(1, &b) = 4 and bpf_modify_return_test2(1, &b, 3, 4, 5, 6, 7) = 29, each bumping b once.
  if (t === BpfAttachType.BPF_MODIFY_RETURN) return { retval: (2 << 16) | 33, durationNs: 0, truncated: false };
  return fail('EFAULT', 'tracing-attach-type', `attach type ${t} has no test functions`);
}
