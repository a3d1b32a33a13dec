import test from 'ava';
import * as vm from '@bpfkit/vm';

test('the vm package loads', (t) => {
  t.is(typeof vm, 'object');
});
