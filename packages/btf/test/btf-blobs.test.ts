import test from 'ava';
import { skipMessage } from '@bpfkit/corpus';
import run from './suites/btf-blobs.suite.js';

/** Measured: every corpus blob parses, validates and round-trips. */
const FLOOR = 103;

test('btf-blobs suite', async (t) => {
  const r = await run();
  if (r === undefined) {
    t.log(skipMessage('btf-blobs'));
    t.pass();
    return;
  }
  t.log(`btf-blobs: ${r.passed}/${r.total}`);
  for (const f of r.failures.slice(0, 5)) t.log(`  ${f.vector}: ${f.reason}`);
  t.true(r.passed >= FLOOR);
});
