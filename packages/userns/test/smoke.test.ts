import test from 'ava';
import { PACKAGE } from '@bpfkit/userns';

test('package loads', (t) => {
  t.is(PACKAGE, '@bpfkit/userns');
});
