import test from 'ava';
import { Errno, errnoName } from '@bpfkit/uapi';

test('EOPNOTSUPP is 95, the number BPF_TOKEN_CREATE returns in the init userns', (t) => {
  t.is(Errno.EOPNOTSUPP, 95);
  t.is(errnoName(95), 'EOPNOTSUPP');
});

test('kernel-internal ENOTSUPP is 524', (t) => {
  t.is(Errno.ENOTSUPP, 524);
});
