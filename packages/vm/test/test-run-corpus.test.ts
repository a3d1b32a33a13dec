import test from 'ava';
import { assertSuite } from '@bpfkit/corpus';
import run from './suites/test-run-corpus.suite.js';

test('test-run-corpus: the verifier corpus\' accepted programs give the kernel\'s test-run results on every engine', (t) =>
  assertSuite(t, 'test-run-corpus', run, { interp: { floor: 1529, ceiling: 8 }, wasm: { floor: 1526, ceiling: 11 } }, 40));
