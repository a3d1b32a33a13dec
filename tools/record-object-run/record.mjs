// Records `object run --kernel linux` of every example and ELF fixture on this
// machine's kernel (root, bpf() allowed) into packages/cli/test/fixtures/object-run,
// the answers the `elf-objects` suite holds the simulated kernel to.
// Run after `pnpm build` and building the cli tests: node tools/record-object-run/record.mjs [id…]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { release } from 'node:os';
import { dirname } from 'node:path';
import { openKernel, parseSteps, runObjectBytes } from '../../packages/cli/dist/index.js';
import { objectCases, REPO_ROOT } from '../../packages/cli/dist-test/support/object-cases.js';

const only = process.argv.slice(2);
const kernel = await openKernel('linux', { cpus: 0 });
for (const c of objectCases(REPO_ROOT)) {
  if (only.length > 0 && !only.includes(c.id)) continue;
  const steps = parseSteps(c.steps === undefined ? {} : JSON.parse(readFileSync(c.steps, 'utf8')));
  const document = runObjectBytes(c.object, new Uint8Array(readFileSync(c.object)), steps, kernel);
  mkdirSync(dirname(c.record), { recursive: true });
  const record = { recorded_on: { kernel: release(), possible_cpus: kernel.possibleCpus }, document };
  writeFileSync(c.record, `${JSON.stringify(record, null, 1)}\n`);
  console.log(`${c.id}: load ${document.load?.ok === true ? 'ok' : document.load?.errno_name ?? 'open failed'}, ${String(document.steps?.length ?? 0)} steps`);
}
