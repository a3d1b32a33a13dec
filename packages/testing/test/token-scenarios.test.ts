import test from 'ava';
import { skipMessage } from '@bpfkit/corpus';
import tokenScenarios from './suites/token-scenarios.suite.js';

/** The measured score; it may only go up. */
const FLOOR = 71;

test('token-scenarios: replaying the real kernel\'s token corpus', async (t) => {
  const result = await tokenScenarios();
  if (result === undefined) {
    t.log(skipMessage('token-scenarios'));
    t.pass();
    return;
  }
  t.log(`token-scenarios: ${result.passed}/${result.total}`);
  for (const f of result.failures) t.log(`  ${f.vector}: ${f.reason}`);
  t.true(result.passed >= FLOOR, `score ${result.passed} fell below the floor ${FLOOR}`);
});
