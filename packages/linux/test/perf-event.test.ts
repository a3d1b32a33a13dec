import { readFileSync } from 'node:fs';
import test from 'ava';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { createLinuxSyscall } from '@bpfkit/linux';
import { runPerfScenario } from './support/perf-scenario.js';
import { whenLinuxBpf } from './support/skip.js';

/** `num_possible_cpus()` (`0-1`, `0-3,5`). */
function possibleCpus(): number {
  let n = 0;
  for (const part of readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',')) {
    const [a, b] = part.split('-').map(Number);
    n += b === undefined ? 1 : b - (a ?? 0) + 1;
  }
  return n;
}

whenLinuxBpf('perf events', () => {
  test('perf_event_open, mmap of the ring, the perf event array and bpf_perf_event_output give the same answers and ring bytes on both kernels', (t) => {
    const sys = createLinuxSyscall();
    // Test runs write to the current CPU's slot: run them on CPU 0, as the simulated kernel does.
    sys.pinCpu(0);
    try {
      const cpus = possibleCpus();
      const linux = runPerfScenario(sys, cpus);
      const sim = runPerfScenario(createDefaultKernel({ cpus }).init, cpus);
      t.deepEqual(sim, linux);
      t.is(linux['output: 8 bytes'], 0, 'the scenario did write samples');
    } finally {
      sys.pinCpu(-1);
    }
  });
});
