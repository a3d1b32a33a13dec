import test from 'ava';
import { skipMessage } from '@bpfkit/corpus';
import run from './suites/verifier-selftests.suite.js';

/** Measured score; raise it when the verifier improves. */
const FLOOR = 627;

test('verifier-selftests: verdict agreement with the 6.18 kernel', async (t) => {
  const res = await run();
  if (res === undefined) {
    t.log(skipMessage('verifier-selftests'));
    t.pass();
    return;
  }
  t.log(`verifier-selftests: ${String(res.passed)}/${String(res.total)} (skipped ${String(res.skipped)})`);
  t.true(res.passed >= FLOOR);
});
