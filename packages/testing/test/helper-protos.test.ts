import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { createDefaultKernel, HOST_VMLINUX_BTF, hostVmlinuxBtf } from '@bpfkit/kernel/defaults';
import { replayHelperCase, type RecordedHelperCase } from '@bpfkit/testing';
import { Capability } from '@bpfkit/uapi';

// Every helper a program type without an attach target may call, called with good arguments and with
// typical bad ones, one argument at a time (a scalar for a pointer, NULL, uninitialized stack, too small
// a buffer, constant and random sizes, packet pointers, read-only map values, a wrong map, a trusted
// task_struct from bpf_get_current_task_btf), with a non-GPL license, and without CAP_PERFMON; Linux 6.18's answers were
// recorded by tools/probe-helper-protos. The task cases read the kernel's struct layout: they need the
// host's vmlinux BTF, as the verifier corpus does.
const FIXTURE = fileURLToPath(new URL('../test/fixtures/helper-protos.json', import.meta.url));
const { cases } = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: readonly RecordedHelperCase[] };

/** Cases the verifier answers otherwise, each for a reason it states (none left). */
const KNOWN_MISSES: readonly string[] = [];

test('helper prototypes: the simulated kernel gives Linux\'s verdict, errno and error line for every recorded helper call', (t) => {
  const vmlinux = hostVmlinuxBtf();
  const kernel = createDefaultKernel({ vmlinuxBtf: () => vmlinux });
  const task = kernel.init.fork();
  // The no-perfmon cases were loaded on Linux with CAP_PERFMON and CAP_SYS_ADMIN out of the bounding set.
  const reduced = kernel.init.fork();
  const sets = reduced.capget();
  const dropped = (1n << BigInt(Capability.CAP_PERFMON)) | (1n << BigInt(Capability.CAP_SYS_ADMIN));
  reduced.capset({ effective: sets.effective & ~dropped, permitted: sets.permitted, inheritable: sets.inheritable });
  const hostBtf = existsSync(HOST_VMLINUX_BTF);
  const replayed = cases.filter((c) => hostBtf || c.kernelBtf !== true);
  if (replayed.length < cases.length) t.log(`${String(cases.length - replayed.length)} task cases left out: no ${HOST_VMLINUX_BTF}`);
  const misses: string[] = [];
  const counts = { verdict: 0, errno: 0, line: 0 };
  for (const c of replayed) {
    const got = replayHelperCase(c.caps === 'no-perfmon' ? reduced : task, c);
    const want = c.kernel;
    if (got.verdict === want.verdict) counts.verdict++;
    if (got.errno === want.errno) counts.errno++;
    if (got.line === want.line) counts.line++;
    if (got.verdict !== want.verdict || got.errno !== want.errno || got.line !== want.line) {
      misses.push(c.name);
      if (!KNOWN_MISSES.includes(c.name)) t.log(`${c.name}: Linux ${JSON.stringify(want)}, bpfkit ${JSON.stringify(got)}`);
      // A call Linux refuses must never be let through.
      if (want.verdict === 'reject') t.is(got.verdict, 'reject', `${c.name} is accepted, Linux refuses it: ${want.line ?? ''}`);
    }
  }
  t.log(`agreement over ${String(replayed.length)} cases: verdict ${String(counts.verdict)}, errno ${String(counts.errno)}, error line ${String(counts.line)}`);
  t.true(cases.length > 1000);
  t.deepEqual(misses, KNOWN_MISSES);
});
