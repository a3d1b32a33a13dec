import test from 'ava';
import { assertSuite } from '@bpfkit/corpus';
import run from './suites/test-run-corpus.suite.js';

test('test-run-corpus: the verifier corpus\' accepted programs give the kernel\'s test-run results on every engine', (t) =>
  assertSuite(t, 'test-run-corpus', run, { interp: { floor: 1531, ceiling: 6 }, wasm: { floor: 1528, ceiling: 9 } }, 40));
