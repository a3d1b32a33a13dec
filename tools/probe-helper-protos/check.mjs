// Replays the recorded helper cases (packages/testing/test/fixtures/helper-protos.json) on the running
// Linux kernel and prints, as one JSON line, the cases whose answer is no longer the recorded one.
// Exit status 1 when there are any. Needs root and bpf():
//   node tools/probe-helper-protos/check.mjs   (after a build)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../../', import.meta.url);
const pkg = (p) => import(new URL(`packages/${p}`, root).href);
const { createLinuxSyscall } = await pkg('linux/dist/index.js');
const { replayHelperCase } = await pkg('testing/dist/index.js');

const fixture = fileURLToPath(new URL('packages/testing/test/fixtures/helper-protos.json', root));
const { cases } = JSON.parse(readFileSync(fixture, 'utf8'));
const sys = createLinuxSyscall();
const changed = [];
for (const c of cases) {
  const now = replayHelperCase(sys, c);
  if (JSON.stringify(now) !== JSON.stringify(c.kernel)) changed.push({ name: c.name, recorded: c.kernel, now });
}
console.log(JSON.stringify({ cases: cases.length, changed }));
process.exitCode = changed.length === 0 ? 0 : 1;
