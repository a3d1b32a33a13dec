import { existsSync } from 'node:fs';
import test from 'ava';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { createLinuxSyscall } from '@bpfkit/linux';
import { whenLinuxBpf } from './support/skip.js';
import { runTraceScenario } from './support/trace-scenario.js';

whenLinuxBpf('tracing perf events', () => {
  if (!existsSync('/sys/kernel/tracing/events')) {
    test.skip('tracing perf events: not compared, tracefs is not mounted at /sys/kernel/tracing', () => {});
    return;
  }
  test('tracepoint and uprobe perf events, PERF_EVENT_IOC_SET_BPF and BPF_PERF_EVENT links: same answers on both kernels', (t) => {
    const linux = runTraceScenario(createLinuxSyscall());
    const sim = runTraceScenario(createDefaultKernel({ cpus: 2 }).init);
    t.deepEqual(sim, linux);
    t.is(linux['tracepoint on sched/sched_switch: ioctl'], 'ok', 'the scenario did attach');
    t.is(linux['tracepoint on sched/sched_switch: link'], 'EEXIST', 'a tracepoint runs a program once, whichever event attached it');
  });
});
