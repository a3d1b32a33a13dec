import { skipMessage } from './locate.js';
import type { SuiteRunner } from './suite.js';

/** The part of ava's ExecutionContext a suite assertion uses (so this package needs no ava). */
export interface SuiteAssertions {
  log(...values: unknown[]): void;
  pass(): void;
  true(actual: boolean, message?: string): unknown;
}

/**
 * Runs a suite, logs its score and up to `showFailures` failing vectors, and
 * asserts the floor: a score may only go up. Without the corpus it logs the
 * one skip line and passes.
 *
 * @example
 * test('asm-roundtrip', (t) => assertSuite(t, 'asm-roundtrip', run, 3177));
 */
export async function assertSuite(t: SuiteAssertions, name: string, run: SuiteRunner, floor: number, showFailures = 10): Promise<void> {
  const result = await run();
  if (result === undefined) {
    t.log(skipMessage(name));
    t.pass();
    return;
  }
  t.log(`${name}: ${result.passed}/${result.total} (skipped ${result.skipped})`);
  for (const f of result.failures.slice(0, showFailures)) t.log(`  ${f.vector}: ${f.reason}`);
  t.true(result.passed >= floor, `${name}: score ${result.passed} fell below the floor ${floor}`);
}
