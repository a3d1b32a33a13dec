import test from 'ava';
import fc from 'fast-check';
import { isBpfError } from '@bpfkit/kernel-api';
import { BpfObject } from '@bpfkit/libbpf';
import { FIXTURES, fixture, simKernel } from './helpers.js';

test('mutated objects open and load with a BpfError or succeed, never another exception, and leave no fds', (t) => {
  const k = simKernel();
  const task = k.init;
  const base = task.fdTable.size;
  fc.assert(
    fc.property(
      fc.constantFrom(...FIXTURES),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      (name, flips) => {
        const bytes = fixture(name).slice();
        for (const [at, v] of flips) bytes[at % bytes.length] = v;
        try {
          const obj = BpfObject.open(bytes, { name, host: task });
          try {
            obj.load();
          } finally {
            obj.close();
          }
        } catch (e) {
          if (!isBpfError(e)) throw e;
        }
        return task.fdTable.size === base;
      },
    ),
    { numRuns: 150, seed: 7 },
  );
  t.pass();
});
