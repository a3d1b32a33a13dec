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

test('a runner measuring several figures is bounded per figure name, and a figure with no bounds fails', async (t) => {
  const { assertSuite } = await import('@bpfkit/corpus');
  const verdict = new SuiteTally('verifier-verdict');
  verdict.pass();
  verdict.miss('classic/x/0', 'we accept, the kernel rejects');
  const errno = new SuiteTally('verifier-errno');
  errno.pass();
  const checks: { ok: boolean; message: string | undefined }[] = [];
  const sink = { log: () => undefined, pass: () => undefined, true: (ok: boolean, message?: string) => checks.push({ ok, message }) };
  await assertSuite(sink, 'verifier-corpus', () => Promise.resolve([verdict.result(), errno.result()]), {
    'verifier-verdict': { floor: 1, ceiling: 1 },
  });
  t.deepEqual(checks.filter((c) => !c.ok).map((c) => c.message), ['verifier-errno: no floor given for it']);
  t.is(checks.filter((c) => c.ok).length, 2);
});
