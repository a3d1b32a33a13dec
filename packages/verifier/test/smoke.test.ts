import test from 'ava';
import { PACKAGE } from '@bpfkit/verifier';

test('package loads', (t) => {
  t.is(PACKAGE, '@bpfkit/verifier');
});
