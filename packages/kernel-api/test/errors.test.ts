import test from 'ava';
import { BpfError, isBpfError } from '@bpfkit/kernel-api';

test('BpfError carries errno number, name and reason', (t) => {
  const e = new BpfError('EPERM', 'caps:missing-CAP_BPF', 'CAP_BPF is not effective in the token userns');
  t.is(e.errno, 1);
  t.is(e.code, 'EPERM');
  t.is(e.reason, 'caps:missing-CAP_BPF');
  t.true(isBpfError(e, 'EPERM'));
  t.false(isBpfError(e, 'EINVAL'));
  t.true(e instanceof Error);
});

test('a BpfError records no stack trace unless asked to (the kernel\'s answers are not bugs)', (t) => {
  const quiet = new BpfError('EPERM', 'test:quiet', 'refused');
  t.is(quiet.stack, undefined);
  t.is(String(quiet), 'BpfError: refused');
  t.is(quiet.cause, undefined);
  t.is(new BpfError('EPERM', 'test:cause', 'refused', { cause: quiet }).cause, quiet);
  BpfError.captureStacks = true;
  try {
    const loud = new BpfError('EPERM', 'test:loud', 'refused');
    t.true((loud.stack ?? '').includes('\n    at '));
  } finally {
    BpfError.captureStacks = false;
  }
  t.true(Error.stackTraceLimit > 0, 'the global limit is left as it was');
});
