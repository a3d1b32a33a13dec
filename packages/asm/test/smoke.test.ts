import test from 'ava';
import { PACKAGE } from '@bpfkit/asm';

test('package loads', (t) => {
  t.is(PACKAGE, '@bpfkit/asm');
});
