import test from 'ava';
import { assertSuite } from '@bpfkit/corpus';
import run from './suites/asm-conformance.suite.js';

const FLOOR = 399;

test('asm-conformance: every .data vector assembles to its expected bytes, assembler negatives fail', (t) => assertSuite(t, 'asm-conformance', run, FLOOR));
