import { existsSync, readFileSync } from 'node:fs';
import { SuiteTally, type SuiteResult } from '@bpfkit/corpus';
import { diffDocuments, openKernel, parseSteps, runObjectBytes, type DocumentDifference } from '@bpfkit/cli';
import { objectCases, REPO_ROOT } from '../support/object-cases.js';
import type { ObjectRunRecord } from '../support/object-record.js';

/** A stable cause for a tally: what kind of field differs first. */
function causeOf(d: DocumentDifference): string {
  const p = d.path.replace(/\[\d+\]/g, '[]');
  if (p.startsWith('open')) return 'open view differs';
  if (p.startsWith('load')) return 'load verdict differs';
  if (p.endsWith('processed_insns') || p.endsWith('verified_insns')) return 'processed instruction count differs';
  if (p.startsWith('program_loads')) return 'program load differs';
  if (p.startsWith('maps_after_load')) return 'maps after load differ';
  if (p.includes('maps_after')) return 'maps after a step differ';
  return 'step result differs';
}

/**
 * `elf-objects`: `bpfkit object run` of every example and ELF fixture on the
 * simulated kernel equals the document recorded on Linux 6.18 (committed under
 * test/fixtures/object-run, so this needs neither root nor the shared corpus).
 * An object without a record is a miss.
 */
export default async function run(): Promise<SuiteResult> {
  const tally = new SuiteTally('elf-objects');
  for (const c of objectCases(REPO_ROOT)) {
    if (!existsSync(c.record)) {
      tally.miss(c.id, 'no real-kernel record', `no recorded document at ${c.record} (tools/record-object-run)`);
      continue;
    }
    const record = JSON.parse(readFileSync(c.record, 'utf8')) as ObjectRunRecord;
    const steps = parseSteps(c.steps === undefined ? {} : JSON.parse(readFileSync(c.steps, 'utf8')));
    const kernel = await openKernel('sim', { cpus: record.recorded_on.possible_cpus });
    const doc = runObjectBytes(c.object, new Uint8Array(readFileSync(c.object)), steps, kernel);
    const diffs = diffDocuments(doc, record.document);
    const first = diffs[0];
    if (first === undefined) tally.pass();
    else tally.miss(c.id, causeOf(first), diffs.slice(0, 4).map((d) => `${d.path}: sim ${JSON.stringify(d.left)} linux ${JSON.stringify(d.right)}`.slice(0, 300)).join('; '));
  }
  return tally.result();
}
