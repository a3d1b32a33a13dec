import test from 'ava';
import { assertSuite } from '@bpfkit/corpus';
import run from './suites/verifier-corpus.suite.js';

// Floors (passes) and ceilings (failures) per figure over the 2671 corpus cases with a kernel
// verdict (1134 of them rejects, the message figure's denominator). Raise them as the verifier improves.
const BOUNDS = {
  'verifier-verdict': { floor: 2525, ceiling: 146 },
  'verifier-errno': { floor: 2482, ceiling: 189 },
  'verifier-message': { floor: 985, ceiling: 149 },
  'verifier-processed': { floor: 2464, ceiling: 207 },
  'verifier-unsound': { floor: 2600, ceiling: 71 },
};

test('verifier-corpus: every case the kernel gave a verdict, loaded through the simulated kernel: verdict, errno, message, processed count, soundness', (t) =>
  assertSuite(t, 'verifier-corpus', run, BOUNDS));
