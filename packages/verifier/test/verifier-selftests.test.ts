import test from 'ava';
import { assertSuite } from '@bpfkit/corpus';
import run from './suites/verifier-selftests.suite.js';
import runMaps from './suites/verifier-selftests-maps.suite.js';
import runProgs from './suites/verifier-selftests-progs.suite.js';

/** Measured scores; raise them when the verifier improves. */
const FLOOR = 951;
const FLOOR_MAPS = 349;
const FLOOR_PROGS = 775;

test('verifier-selftests: verdict agreement with the 6.18 kernel', (t) => assertSuite(t, 'verifier-selftests', run, FLOOR));
test('verifier-selftests-maps: verdict agreement on the selftests that need maps', (t) => assertSuite(t, 'verifier-selftests-maps', runMaps, FLOOR_MAPS));
test('verifier-selftests-progs: verdict agreement on the progs/ selftests loaded with program BTF or maps', (t) => assertSuite(t, 'verifier-selftests-progs', runProgs, FLOOR_PROGS));
