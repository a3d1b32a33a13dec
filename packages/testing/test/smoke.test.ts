import test from 'ava';
import { PACKAGE } from '@bpfkit/testing';

test('package loads', (t) => {
  t.is(PACKAGE, '@bpfkit/testing');
});
