import test from 'ava';
import { PACKAGE } from '@bpfkit/kernel-api';

test('package loads', (t) => {
  t.is(PACKAGE, '@bpfkit/kernel-api');
});
