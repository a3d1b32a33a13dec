import test from 'ava';
import { EXAMPLES, simTarget, type ExampleResults } from '@bpfkit/examples';
import { linuxOrReason } from './support.js';

const NAMES = Object.keys(EXAMPLES) as (keyof ExampleResults)[];

for (const name of NAMES) {
  test(`${name}: the simulated kernel and this machine's kernel give the same result (where bpf() works)`, (t) => {
    const linux = linuxOrReason();
    if (typeof linux === 'string') {
      t.log(`linux: skipped, ${linux}`);
      t.pass();
      return;
    }
    const sim = EXAMPLES[name](simTarget(linux.possibleCpus));
    t.deepEqual(sim, EXAMPLES[name](linux));
  });
}
