import test from 'ava';
import { assertSuite } from '@bpfkit/corpus';
import run from './suites/vm-testrun.suite.js';

// Floors (passes) and ceilings (failures) per engine over the 1229 corpus cases the kernel ran.
const BOUNDS = {
  interp: { floor: 1225, ceiling: 4 },
  wasm: { floor: 1225, ceiling: 4 },
};

test('vm-testrun: every corpus case the kernel accepted and ran gives the same retval and data_out, per engine', (t) =>
  assertSuite(t, 'vm-testrun', run, BOUNDS));
