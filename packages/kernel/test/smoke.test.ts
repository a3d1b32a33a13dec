import test from 'ava';
import { PACKAGE } from '@bpfkit/kernel';

test('package loads', (t) => {
  t.is(PACKAGE, '@bpfkit/kernel');
});
