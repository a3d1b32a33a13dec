import type { TestRunResult, TestRunService } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { fail, type ResolvedTestRunOptions, type TestRunCall } from './common.js';
import { testRunFlowDissector } from './flow-dissector.js';
import { testRunNetfilter } from './netfilter.js';
import { testRunRawTp } from './raw-tp.js';
import { testRunSkb } from './skb.js';
import { testRunSkLookup } from './sk-lookup.js';
import { testRunStructOps } from './struct-ops.js';
import { testRunSyscall } from './syscall.js';
import { testRunTracing } from './tracing.js';
import { testRunXdp } from './xdp.js';

/** Options of {@link createTestRunService}; every field is optional, unknown fields are rejected. */
export interface TestRunServiceOptions {
  /**
   * Network devices of the caller's namespace (ifindex → rx queues), for
   * `__sk_buff.ifindex` and `xdp_md.ingress_ifindex`. Default: the loopback
   * device, ifindex 1, with one queue.
   */
  readonly devices?: ReadonlyMap<number, { readonly rxQueues: number }>;
}

const KNOWN = new Set(['devices']);

const T = BpfProgType;

/** `prog->aux->ops->test_run` per program type; absent types give ENOTSUPP. */
const RUNNERS: ReadonlyMap<number, (call: TestRunCall) => TestRunResult> = new Map([
  [T.BPF_PROG_TYPE_SOCKET_FILTER, testRunSkb],
  [T.BPF_PROG_TYPE_SCHED_CLS, testRunSkb],
  [T.BPF_PROG_TYPE_SCHED_ACT, testRunSkb],
  [T.BPF_PROG_TYPE_CGROUP_SKB, testRunSkb],
  [T.BPF_PROG_TYPE_LWT_IN, testRunSkb],
  [T.BPF_PROG_TYPE_LWT_OUT, testRunSkb],
  [T.BPF_PROG_TYPE_LWT_XMIT, testRunSkb],
  [T.BPF_PROG_TYPE_XDP, testRunXdp],
  [T.BPF_PROG_TYPE_RAW_TRACEPOINT, testRunRawTp],
  [T.BPF_PROG_TYPE_TRACING, testRunTracing],
  [T.BPF_PROG_TYPE_FLOW_DISSECTOR, testRunFlowDissector],
  [T.BPF_PROG_TYPE_SK_LOOKUP, testRunSkLookup],
  [T.BPF_PROG_TYPE_SYSCALL, testRunSyscall],
  [T.BPF_PROG_TYPE_NETFILTER, testRunNetfilter],
  [T.BPF_PROG_TYPE_STRUCT_OPS, testRunStructOps],
]);

/**
 * `BPF_PROG_TEST_RUN` as net/bpf/test_run.c of Linux 6.18 does it per
 * program type: the context and packet the type sees, the fields each type
 * refuses, `repeat` and the mean `duration` from the injected clock, and
 * `data_out`/`ctx_out` cut to the caller's sizes (ENOSPC via `truncated`).
 * Types without a test run (kprobe, tracepoint, cgroup sock_addr, lwt_seg6local…)
 * throw ENOTSUPP.
 *
 * @example
 * const testRun = createTestRunService();
 * const res = testRun.run(prog, { dataIn: frame, dataSizeOut: 1500, ctxSizeOut: 0, repeat: 1, flags: 0, cpu: 0, batchSize: 0 }, env);
 * res.retval; // the program's r0
 */
export function createTestRunService(options: TestRunServiceOptions = {}): TestRunService {
  for (const k of Object.keys(options)) if (!KNOWN.has(k)) throw new TypeError(`createTestRunService: unknown option ${k}`);
  const devices = options.devices ?? new Map([[1, { rxQueues: 1 }]]);
  const resolved: ResolvedTestRunOptions = {
    hasDevice: (ifindex) => devices.has(ifindex),
    rxQueues: (ifindex) => devices.get(ifindex)?.rxQueues ?? 0,
  };
  return {
    run(prog, req, env) {
      const runner = RUNNERS.get(prog.progType);
      if (runner === undefined) return fail('ENOTSUPP', 'no-test-run', `program type ${prog.progType} has no BPF_PROG_TEST_RUN`);
      return runner({ prog, req, env, options: resolved });
    },
  };
}
