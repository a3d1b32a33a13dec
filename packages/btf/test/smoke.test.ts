import test from 'ava';
import { PACKAGE } from '@bpfkit/btf';

test('package loads', (t) => {
  t.is(PACKAGE, '@bpfkit/btf');
});
