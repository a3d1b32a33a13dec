// Replays the recorded helper cases (packages/testing/test/fixtures/helper-protos.json) on the running
// Linux kernel and prints, as one JSON line, the cases whose answer is no longer the recorded one.
// Exit status 1 when there are any. Needs root and bpf():
//   node tools/probe-helper-protos/check.mjs   (after a build)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { replayOnLinux } from './linux-replay.mjs';

const root = new URL('../../', import.meta.url);

const fixture = fileURLToPath(new URL('packages/testing/test/fixtures/helper-protos.json', root));
const { cases } = JSON.parse(readFileSync(fixture, 'utf8'));
const answers = await replayOnLinux(cases);
const changed = [];
cases.forEach((c, i) => {
  const now = answers[i];
  if (JSON.stringify(now) !== JSON.stringify(c.kernel)) changed.push({ name: c.name, recorded: c.kernel, now });
});
console.log(JSON.stringify({ cases: cases.length, changed }));
process.exitCode = changed.length === 0 ? 0 : 1;
