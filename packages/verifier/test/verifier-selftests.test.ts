import test from 'ava';
import { assertSuite } from '@bpfkit/corpus';
import run from './suites/verifier-selftests.suite.js';

/** Measured score; raise it when the verifier improves. */
const FLOOR = 949;

test('verifier-selftests: verdict agreement with the 6.18 kernel', (t) => assertSuite(t, 'verifier-selftests', run, FLOOR));
