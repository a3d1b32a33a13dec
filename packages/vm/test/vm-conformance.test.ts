import test from 'ava';
import { assertSuite } from '@bpfkit/corpus';
import run from './suites/vm-conformance.suite.js';

test('vm-conformance: the 313 bpf_conformance vectors give the expected r0 on every engine', (t) =>
  assertSuite(t, 'vm-conformance', run, { interp: { floor: 313, ceiling: 0 }, wasm: { floor: 313, ceiling: 0 } }, 40));
