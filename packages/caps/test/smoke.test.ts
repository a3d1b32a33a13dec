import test from 'ava';
import { PACKAGE } from '@bpfkit/caps';

test('package loads', (t) => {
  t.is(PACKAGE, '@bpfkit/caps');
});
