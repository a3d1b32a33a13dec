import test from 'ava';

test('package builds', (t) => {
  t.pass();
});
