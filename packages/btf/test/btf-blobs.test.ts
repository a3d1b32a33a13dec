import test from 'ava';
import { assertSuite } from '@bpfkit/corpus';
import run from './suites/btf-blobs.suite.js';

/** Measured: every corpus blob parses, validates and round-trips. */
const FLOOR = 103;

test('btf-blobs suite', (t) => assertSuite(t, 'btf-blobs', run, FLOOR));
