import test from 'ava';
import { assertSuite } from '@bpfkit/corpus';
import run from './suites/bpffs-token-corpus.suite.js';

// Every one of the 891 steps of the token corpus, replayed through the simulated kernel.
const BOUNDS = { floor: 891, ceiling: 0 };

test('bpffs-token-corpus: every step of the token scenarios gives the kernel\'s result', (t) => assertSuite(t, 'bpffs-token-corpus', run, BOUNDS));
