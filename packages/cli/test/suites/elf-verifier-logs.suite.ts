import { existsSync, readFileSync } from 'node:fs';
import { SuiteTally, type SuiteResult } from '@bpfkit/corpus';
import { openKernel } from '@bpfkit/cli';
import { objectCases, REPO_ROOT } from '../support/object-cases.js';
import { normalizeLog, programLogs, type VerifierLogRecord } from '../support/verifier-logs.js';

/** The first line where two logs differ, both sides. */
function firstDifference(sim: string, linux: string): string {
  const a = sim.split('\n');
  const b = linux.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `line ${String(i + 1)}: sim ${JSON.stringify(a[i] ?? '<end>')} linux ${JSON.stringify(b[i] ?? '<end>')}`;
}

/**
 * `elf-verifier-logs`: the whole verifier log of every program of every example and ELF
 * fixture, at levels 1 and 2, equals the one recorded on Linux 6.18 (map addresses, kfunc
 * BTF ids and timings aside). A program with no record is a miss.
 */
export default async function run(): Promise<SuiteResult> {
  const tally = new SuiteTally('elf-verifier-logs');
  const kernel = await openKernel('sim', { cpus: 2 });
  try {
    for (const c of objectCases(REPO_ROOT)) {
      if (!existsSync(c.logRecord)) {
        tally.miss(c.id, 'no real-kernel record', `no recorded logs at ${c.logRecord} (tools/record-object-run/record-logs.mjs)`);
        continue;
      }
      const record = JSON.parse(readFileSync(c.logRecord, 'utf8')) as VerifierLogRecord;
      const ours = programLogs(kernel, c);
      for (const want of record.programs) {
        const id = `${c.id}:${want.program}@${String(want.level)}`;
        const got = ours.find((p) => p.program === want.program && p.level === want.level);
        if (got === undefined) {
          tally.miss(id, 'program missing', 'the simulated kernel did not load this program');
          continue;
        }
        if (got.accepted !== want.accepted || got.errno !== want.errno) {
          tally.miss(id, 'verdict differs', `sim ${got.accepted ? 'accepted' : got.errno ?? '?'}, linux ${want.accepted ? 'accepted' : want.errno ?? '?'}`);
          continue;
        }
        const a = normalizeLog(got.log);
        const b = normalizeLog(want.log);
        if (a === b) tally.pass();
        else tally.miss(id, `level ${String(want.level)} log differs`, firstDifference(a, b).slice(0, 300));
      }
    }
  } finally {
    kernel.release();
  }
  return tally.result();
}
