import { existsSync, readFileSync } from 'node:fs';
import test from 'ava';
import { openKernel, parseSteps, runObjectBytes, type KernelHost } from '@bpfkit/cli';
import { linuxBpfAvailability } from '@bpfkit/linux';

const OBJECT = new URL('../../../examples/core_trace.o', import.meta.url).pathname;

/** Attach steps of core_trace.o: the raw tracepoint (twice), the tracepoint (a perf event and a BPF_PERF_EVENT link), a program that does not exist. */
const STEPS = parseSteps({
  steps: [
    { op: 'attach', program: 'handle_exec_raw' },
    { op: 'attach', program: 'handle_exec_raw' },
    { op: 'attach', program: 'handle_exec' },
    { op: 'attach', program: 'no_such_program' },
    { op: 'test_run', label: 'still runs', program: 'handle_exec_raw', data_in: null, ctx_in: '000000000000000092100000000000000000000000000000', ctx_size_out: 0, data_size_out: 0, repeat: 0 },
  ],
});

function attachRcs(host: KernelHost): unknown[] {
  const doc = runObjectBytes(OBJECT, new Uint8Array(readFileSync(OBJECT)), STEPS, host);
  return (doc.steps ?? []).map((s) => [s.op, (s as { program?: string }).program, (s as { rc?: number }).rc]);
}

test('object run: attach steps of core_trace.o on the simulated kernel', async (t) => {
  const sim = await openKernel('sim', { cpus: 2 });
  t.deepEqual(attachRcs(sim), [
    ['attach', 'handle_exec_raw', 0],
    ['attach', 'handle_exec_raw', 0],
    ['attach', 'handle_exec', 0],
    ['attach', 'no_such_program', -2],
    ['test_run', 'handle_exec_raw', 0],
  ]);
});

const TITLE = 'object run: an attach step gives the same rc on Linux as on the simulated kernel';
/** Linux attaches a tracepoint by its tracefs id: without tracefs mounted, its answer is ENOENT whatever bpfkit does. */
const TRACEFS = ['/sys/kernel/tracing/events', '/sys/kernel/debug/tracing/events'].some((p) => existsSync(p));
const bpf = linuxBpfAvailability();

if (!bpf.available) {
  test.skip(`${TITLE} (no bpf() here: ${bpf.error?.message ?? ''})`, () => undefined);
} else if (!TRACEFS) {
  test.skip(`${TITLE} (tracefs is not mounted at /sys/kernel/tracing)`, () => undefined);
} else {
  test(TITLE, async (t) => {
    const linux = await openKernel('linux', { cpus: 0 });
    try {
      const sim = await openKernel('sim', { cpus: linux.possibleCpus });
      t.deepEqual(attachRcs(linux), attachRcs(sim));
    } finally {
      linux.release();
    }
  });
}
