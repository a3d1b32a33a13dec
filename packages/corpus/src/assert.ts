import { skipMessage } from './locate.js';
import type { SuiteResult, SuiteRunner } from './suite.js';

/** The part of ava's ExecutionContext a suite assertion uses (so this package needs no ava). */
export interface SuiteAssertions {
  log(...values: unknown[]): void;
  pass(): void;
  true(actual: boolean, message?: string): unknown;
}

/** Bounds a suite's result must keep: passes at least `floor`, failures at most `ceiling`. */
export interface SuiteBounds {
  readonly floor: number;
  /** Most failures allowed (default: `total - floor`, so the two agree). */
  readonly ceiling?: number;
}

/** True when a missing corpus must fail the run (`CI=true`), not skip. */
export function corpusRequired(): boolean {
  return process.env.CI === 'true';
}

function checkOne(t: SuiteAssertions, label: string, result: SuiteResult, bounds: SuiteBounds, showFailures: number): void {
  const failed = result.total - result.passed;
  const tally = result.tally === undefined ? '' : ` ${JSON.stringify(result.tally)}`;
  t.log(`${label}: ${result.passed}/${result.total} (skipped ${result.skipped})${tally}`);
  for (const f of result.failures.slice(0, showFailures)) t.log(`  ${f.vector}: ${f.reason}`);
  t.true(result.passed >= bounds.floor, `${label}: score ${result.passed} fell below the floor ${bounds.floor}`);
  if (bounds.ceiling !== undefined) t.true(failed <= bounds.ceiling, `${label}: ${failed} failures, above the ceiling ${bounds.ceiling}`);
}

/**
 * Runs a suite, logs its score and up to `showFailures` failing vectors, and
 * asserts the floor (a score may only go up) and the ceiling on failures.
 * Without the corpus it logs the one skip line and passes, except under
 * `CI=true`, where a missing corpus fails. A suite measured per engine gives
 * bounds per engine (`{ interp: 313, wasm: 313 }`); one that measures several
 * figures, each under its own suite name, gives bounds per name.
 *
 * @example
 * test('asm-roundtrip', (t) => assertSuite(t, 'asm-roundtrip', run, 3177));
 * test('vm-conformance', (t) => assertSuite(t, 'vm-conformance', run, { interp: { floor: 313, ceiling: 0 } }));
 * test('verifier-corpus', (t) => assertSuite(t, 'verifier-corpus', run, { 'verifier-verdict': { floor: 2600, ceiling: 71 } }));
 */
export async function assertSuite(
  t: SuiteAssertions,
  name: string,
  run: SuiteRunner,
  bounds: number | SuiteBounds | Readonly<Record<string, SuiteBounds>>,
  showFailures = 10,
): Promise<void> {
  const result = await run();
  if (result === undefined) {
    t.log(skipMessage(name));
    t.true(!corpusRequired(), `${name}: the shared corpus is missing and CI=true requires it`);
    return;
  }
  const results: readonly SuiteResult[] = Array.isArray(result) ? result : [result as SuiteResult];
  for (const r of results) {
    // A runner measures one suite per engine, or several figures each under its own suite name.
    const key = r.engine ?? (r.suite === name ? '' : r.suite);
    const label = r.engine === undefined ? r.suite : `${name} [${r.engine}]`;
    let b: SuiteBounds | undefined;
    if (typeof bounds === 'number') b = { floor: bounds };
    else if ('floor' in bounds && typeof bounds.floor === 'number') b = bounds as SuiteBounds;
    else b = (bounds as Readonly<Record<string, SuiteBounds>>)[key];
    if (b === undefined) {
      t.true(false, `${label}: no floor given for it`);
      continue;
    }
    checkOne(t, label, r, b, showFailures);
  }
}
