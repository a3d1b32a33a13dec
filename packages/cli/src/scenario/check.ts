import type { OracleFile, OracleResult, OracleStep, ScenarioResult, StepResult } from '@bpfkit/testing';

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function outcome(r: { ok: boolean; errno: string | null }): string {
  return r.ok ? 'ok' : String(r.errno);
}

/** How `got` differs from `want` (ok, errno, then each `info` key `want` has), or undefined. */
export function resultMismatch(want: OracleResult, got: StepResult | undefined): string | undefined {
  if (got === undefined) return 'not replayed';
  if (want.ok !== got.ok || want.errno !== got.errno) {
    return `want ${outcome(want)}, got ${outcome(got)}${got.reason === undefined ? '' : ` (${got.reason})`}`;
  }
  for (const [key, value] of Object.entries(want.info ?? {})) {
    if (!same(value, got.info?.[key])) return `info.${key}: want ${JSON.stringify(value)}, got ${JSON.stringify(got.info?.[key])}`;
  }
  return undefined;
}

function describeStep(step: OracleStep): string {
  if ('spawn' in step) return `spawn ${step.spawn}`;
  if ('pass_fd' in step) return `pass_fd ${step.pass_fd.h}`;
  return `${step.actor} ${step.op}`;
}

/** One difference between a replay and an `expect`. */
export interface ExpectDifference {
  readonly scenario: string;
  /** `NAME: step 3 (c token_create): want ok, got EPERM (token:…)`. */
  readonly line: string;
}

/**
 * Every place a replay differs from the file's `expect` fields: each step's, and the
 * scenario's (the step marked `"check": true`, else the last), one line each.
 *
 * @example
 * checkExpectations(file, replayScenarios(file)); // [] when every expect holds
 */
export function checkExpectations(file: OracleFile, results: readonly ScenarioResult[]): ExpectDifference[] {
  const lines: ExpectDifference[] = [];
  file.scenarios.forEach((scenario, i) => {
    const got = results[i]?.steps ?? [];
    scenario.steps.forEach((step, s) => {
      if (step.expect === undefined) return;
      const why = resultMismatch(step.expect, got[s]);
      if (why !== undefined) lines.push({ scenario: scenario.name, line: `${scenario.name}: step ${String(s)} (${describeStep(step)}): ${why}` });
    });
    if (scenario.expect === undefined) return;
    const marked = scenario.steps.findIndex((st) => 'op' in st && st.check === true);
    const index = marked === -1 ? scenario.steps.length - 1 : marked;
    const why = resultMismatch(scenario.expect, got[index]);
    if (why !== undefined) lines.push({ scenario: scenario.name, line: `${scenario.name}: expect (step ${String(index)}): ${why}` });
  });
  return lines;
}
