import test from 'ava';
import { skipMessage } from '@bpfkit/corpus';
import run from './suites/asm-conformance.suite.js';

const FLOOR = 399;

test('asm-conformance: every .data vector assembles to its expected bytes, assembler negatives fail', async (t) => {
  const result = await run();
  if (result === undefined) {
    t.log(skipMessage('asm-conformance'));
    t.pass();
    return;
  }
  t.log(`asm-conformance: ${String(result.passed)}/${String(result.total)} (skipped ${String(result.skipped)})`);
  for (const f of result.failures.slice(0, 10)) t.log(`  ${f.vector}: ${f.reason}`);
  t.true(result.passed >= FLOOR);
});
