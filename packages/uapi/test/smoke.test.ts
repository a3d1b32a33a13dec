import test from 'ava';
import { PACKAGE } from '@bpfkit/uapi';

test('package loads', (t) => {
  t.is(PACKAGE, '@bpfkit/uapi');
});
