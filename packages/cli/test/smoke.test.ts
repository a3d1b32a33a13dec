import test from 'ava';
import { PACKAGE } from '@bpfkit/cli';

test('package loads', (t) => {
  t.is(PACKAGE, '@bpfkit/cli');
});
