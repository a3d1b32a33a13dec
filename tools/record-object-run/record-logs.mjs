// Records the verifier logs (levels 1 and 2) of every program of every example and ELF fixture,
// each loaded alone into this machine's kernel (root, bpf() allowed), into
// packages/cli/test/fixtures/verifier-logs: the logs the `elf-verifier-logs` suite holds the
// simulated verifier to.
// Run after `pnpm build` and building the cli tests: node tools/record-object-run/record-logs.mjs [id…]
import { mkdirSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { dirname } from 'node:path';
import { openKernel } from '../../packages/cli/dist/index.js';
import { objectCases, REPO_ROOT } from '../../packages/cli/dist-test/support/object-cases.js';
import { programLogs } from '../../packages/cli/dist-test/support/verifier-logs.js';

const only = process.argv.slice(2);
const kernel = await openKernel('linux', { cpus: 2 });
try {
  for (const c of objectCases(REPO_ROOT)) {
    if (only.length > 0 && !only.includes(c.id)) continue;
    const programs = programLogs(kernel, c);
    mkdirSync(dirname(c.logRecord), { recursive: true });
    writeFileSync(c.logRecord, `${JSON.stringify({ recorded_on: { kernel: release() }, programs }, null, 1)}\n`);
    console.log(`${c.id}: ${String(programs.length)} logs`);
  }
} finally {
  kernel.release();
}
