import test from 'ava';
import { assertSuite } from '@bpfkit/corpus';
import tokenScenarios from './suites/token-scenarios.suite.js';

/** The measured score; it may only go up. */
const FLOOR = 71;

test('token-scenarios: replaying the real kernel\'s token corpus', (t) => assertSuite(t, 'token-scenarios', tokenScenarios, FLOOR));
