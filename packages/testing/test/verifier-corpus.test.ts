import test from 'ava';
import { assertSuite } from '@bpfkit/corpus';
import run from './suites/verifier-corpus.suite.js';

// Floors (passes) and ceilings (failures) per figure over the 2671 corpus cases with a kernel
// verdict (1134 of them rejects, the message figure's denominator). Raise them as the verifier improves.
const BOUNDS = {
  'verifier-verdict': { floor: 2519, ceiling: 152 },
  'verifier-errno': { floor: 2470, ceiling: 201 },
  'verifier-message': { floor: 975, ceiling: 159 },
  'verifier-processed': { floor: 2458, ceiling: 213 },
  'verifier-unsound': { floor: 2594, ceiling: 77 },
};

test('verifier-corpus: every case the kernel gave a verdict, loaded through the simulated kernel: verdict, errno, message, processed count, soundness', (t) =>
  assertSuite(t, 'verifier-corpus', run, BOUNDS));
