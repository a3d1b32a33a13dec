import test from 'ava';
import { SuiteTally, skipMessage } from '@bpfkit/corpus';

test('a tally counts passes, failures and thrown checks', (t) => {
  const tally = new SuiteTally('demo');
  tally.check('a', () => undefined);
  tally.check('b', () => 'wrong bytes');
  tally.check('c', () => {
    throw new Error('boom');
  });
  tally.skip();
  const r = tally.result();
  t.is(r.passed, 1);
  t.is(r.total, 3);
  t.is(r.skipped, 1);
  t.deepEqual(r.failures.map((f) => f.vector), ['b', 'c']);
});

test('the skip line names the suite and the variable', (t) => {
  t.regex(skipMessage('asm-roundtrip'), /^asm-roundtrip: skipped.*BPFKIT_SHARED/);
});
