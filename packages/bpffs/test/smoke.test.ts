import test from 'ava';
import { PACKAGE } from '@bpfkit/bpffs';

test('package loads', (t) => {
  t.is(PACKAGE, '@bpfkit/bpffs');
});
