import test from 'ava';
import { PACKAGE } from '@bpfkit/token';

test('package loads', (t) => {
  t.is(PACKAGE, '@bpfkit/token');
});
