import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { SYSCALL_CASES, runSyscallCase, type Observation } from '@bpfkit/kernel/syscall-cases';
import { createLinuxSyscall } from '@bpfkit/linux';
import { whenLinuxBpf } from './support/skip.js';

/** Where the kernel package's replay test reads the answers Linux gave. */
const FIXTURE = fileURLToPath(new URL('../../kernel/test/fixtures/syscall-cases.json', import.meta.url));

interface Fixture {
  readonly kernel: string;
  readonly cpus: number;
  readonly cases: Readonly<Record<string, readonly Observation[]>>;
}

/** `num_possible_cpus()` from /sys/devices/system/cpu/possible (`0-1`, `0-3,5`). */
function possibleCpus(): number {
  const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  let n = 0;
  for (const part of text.split(',')) {
    const [a, b] = part.split('-').map(Number);
    n += b === undefined ? 1 : b - (a ?? 0) + 1;
  }
  return n;
}

whenLinuxBpf('syscall cases', () => {
  const sys = createLinuxSyscall();
  const cpus = possibleCpus();
  if (process.env['BPFKIT_RECORD_FIXTURES'] === '1') {
    const cases: Record<string, readonly Observation[]> = {};
    for (const c of SYSCALL_CASES) cases[c.name] = runSyscallCase(sys, c, cpus).observations;
    const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    mkdirSync(dirname(FIXTURE), { recursive: true });
    writeFileSync(FIXTURE, `${JSON.stringify({ kernel, cpus, cases } satisfies Fixture, null, 1)}\n`);
  }
  const fixture = existsSync(FIXTURE) ? (JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture) : undefined;
  for (const c of SYSCALL_CASES) {
    const title = `Linux still gives the recorded answers: ${c.name}`;
    // Per-CPU values are as wide as the possible CPUs: answers recorded on a machine with another count cannot be compared here.
    if (fixture !== undefined && fixture.cpus !== cpus) {
      test.skip(`${title} (recorded with ${fixture.cpus} possible CPUs, this machine has ${cpus})`, () => undefined);
      continue;
    }
    test(title, (t) => {
      const recorded = fixture?.cases[c.name];
      if (fixture === undefined || recorded === undefined) {
        t.fail(`no recorded answers for ${c.name}: run with BPFKIT_RECORD_FIXTURES=1`);
        return;
      }
      t.deepEqual(runSyscallCase(sys, c, cpus).observations, recorded);
    });
  }
});
