import test from 'ava';
import { PACKAGE } from '@bpfkit/lsm';

test('package loads', (t) => {
  t.is(PACKAGE, '@bpfkit/lsm');
});
