import test from 'ava';
import { PACKAGE } from '@bpfkit/maps';

test('package loads', (t) => {
  t.is(PACKAGE, '@bpfkit/maps');
});
