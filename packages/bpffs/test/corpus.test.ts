import test from 'ava';
import { readFileSync } from 'node:fs';
import { sharedPath, skipMessage, corpusRequired } from '@bpfkit/corpus';
import run from './suites/bpffs-token-corpus.suite.js';
import { replay, type Scenario } from './support/replay.js';

const FLOOR = 439;

test('bpffs-token-corpus: mount steps of the token scenarios match the kernel', async (t) => {
  const result = await run();
  if (result === undefined) {
    t.log(skipMessage('bpffs-token-corpus'));
    t.true(!corpusRequired(), 'bpffs-token-corpus: the shared corpus is missing and CI=true requires it');
    return;
  }
  t.log(`bpffs-token-corpus: ${result.passed}/${result.total}`);
  for (const f of result.failures) t.log(`  ${f.vector}: ${f.reason}`);
  t.true(result.passed >= FLOOR);
});

test('every super_opts in the corpus is compared with show_options', (t) => {
  const path = sharedPath('corpus', 'token', 'scenarios.json');
  if (path === undefined) {
    t.log(skipMessage('bpffs-token-corpus'));
    t.true(!corpusRequired(), 'bpffs-token-corpus: the shared corpus is missing and CI=true requires it');
    return;
  }
  const { scenarios } = JSON.parse(readFileSync(path, 'utf8')) as { scenarios: Scenario[] };
  const expected = scenarios.flatMap((s) => s.steps).filter((st) => st.expect.info?.super_opts !== undefined).length;
  const compared = scenarios.flatMap((s) => replay(s)).filter((o) => o.vector.endsWith(':mount_opts'));
  t.is(compared.length, expected);
  t.deepEqual(compared.filter((o) => o.problem !== undefined), []);
});
