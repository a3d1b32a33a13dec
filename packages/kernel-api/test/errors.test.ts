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
