import test from 'ava';
import { assertSuite } from '@bpfkit/corpus';
import run from './suites/verifier-corpus.suite.js';

// Floors (passes) and ceilings (failures) per figure over the 2671 corpus cases with a kernel
// verdict (1134 of them rejects, the message figure's denominator). Raise them as the verifier improves.
const BOUNDS = {
  'verifier-verdict': { floor: 2671, ceiling: 0 },
  'verifier-errno': { floor: 2671, ceiling: 0 },
  'verifier-message': { floor: 1134, ceiling: 0 },
  'verifier-processed': { floor: 2671, ceiling: 0 },
  'verifier-stack-depth': { floor: 2671, ceiling: 0 },
  'verifier-states': { floor: 2670, ceiling: 1 },
  'verifier-unsound': { floor: 2671, ceiling: 0 },
  'verifier-log-tail': { floor: 2670, ceiling: 1 },
};

test('verifier-corpus: every case the kernel gave a verdict, loaded through the simulated kernel: verdict, errno, message, processed count, stack depth, soundness, log tail', (t) =>
  assertSuite(t, 'verifier-corpus', run, BOUNDS));
