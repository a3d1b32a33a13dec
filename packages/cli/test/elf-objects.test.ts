import { existsSync, readFileSync } from 'node:fs';
import test from 'ava';
import { assertSuite } from '@bpfkit/corpus';
import { diffDocuments, parseSteps, runObjectBytes } from '@bpfkit/cli';
import run from './suites/elf-objects.suite.js';
import { linuxHost } from './support/linux-host.js';
import { objectCases, REPO_ROOT } from './support/object-cases.js';
import type { ObjectRunRecord } from './support/object-record.js';

// Whether this machine's kernel can be opened is known before any test is declared (ava takes none after an await); the probe is let go at once.
const probe = await linuxHost(0);
if (typeof probe !== 'string') probe.release();

test('elf-objects: object run on the simulated kernel equals the recorded Linux document', (t) =>
  assertSuite(t, 'elf-objects', run, { floor: 42, ceiling: 1 }, 20));

if (typeof probe === 'string') {
  test.skip(`elf-objects: the recorded documents are what this machine's kernel answers now: skipped, ${probe}`, () => {});
} else test('elf-objects: the recorded documents are what this machine\'s kernel answers now (where bpf() works)', async (t) => {
  const host = await linuxHost(0);
  if (typeof host === 'string') {
    t.fail(`linux: the kernel opened when the tests were declared, now: ${host}`);
    return;
  }
  try {
    for (const c of objectCases(REPO_ROOT)) {
      if (!existsSync(c.record)) {
        t.fail(`${c.id}: no recorded document; record it with node tools/record-object-run/record.mjs ${c.id}`);
        continue;
      }
      const record = JSON.parse(readFileSync(c.record, 'utf8')) as ObjectRunRecord;
      if (record.recorded_on.possible_cpus !== host.possibleCpus) {
        t.log(`${c.id}: recorded with ${String(record.recorded_on.possible_cpus)} CPUs, this machine has ${String(host.possibleCpus)}: not compared`);
        continue;
      }
      const stepsText = c.steps === undefined ? '{}' : readFileSync(c.steps, 'utf8');
      // Attaching to a tracepoint reads its id from tracefs; where tracefs is not mounted the kernel's answer differs.
      if (/"op":\s*"attach"/.test(stepsText) && !existsSync('/sys/kernel/tracing/events')) {
        t.log(`${c.id}: not compared, tracefs is not mounted at /sys/kernel/tracing`);
        continue;
      }
      const steps = parseSteps(JSON.parse(stepsText));
      const live = runObjectBytes(c.object, new Uint8Array(readFileSync(c.object)), steps, host);
      t.deepEqual(diffDocuments(live, record.document), [], `${c.id}: re-record with node tools/record-object-run/record.mjs ${c.id}`);
    }
  } finally {
    host.release();
  }
});
