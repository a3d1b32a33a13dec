import { readFileSync } from 'node:fs';
import { SuiteTally, sharedPath, type SuiteResult } from '@bpfkit/corpus';
import { replayScenarios, type OracleFile, type StepResult } from '@bpfkit/testing';

/** The `info` fields the simulator models, compared whenever the kernel's result has them. */
const MODELLED_INFO = ['fdinfo', 'super_opts', 'fstype', 'source', 'log', 'verifier_log_tail', 'whoami', 'cap_eff', 'mode', 'uid_in_ns', 'gid_in_ns', 'link', 'fd_flags_cloexec'];

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Why `got` differs from the kernel's `want`, or undefined when it matches. */
export function stepMismatch(want: { ok: boolean; errno: string | null; info?: Readonly<Record<string, unknown>> }, got: StepResult | undefined): string | undefined {
  if (got === undefined) return 'step not replayed';
  if (want.ok !== got.ok || want.errno !== got.errno) {
    return `want ${want.ok ? 'ok' : String(want.errno)}, got ${got.ok ? 'ok' : String(got.errno)}${got.reason === undefined ? '' : ` (${got.reason})`}`;
  }
  for (const key of MODELLED_INFO) {
    if (want.info === undefined || !(key in want.info)) continue;
    const g = got.info?.[key];
    if (!same(want.info[key], g)) return `info.${key}: want ${JSON.stringify(want.info[key])}, got ${JSON.stringify(g)}`;
  }
  return undefined;
}

/** token-scenarios: every step of the 71 real-kernel scenarios, one vector per scenario. */
export default function tokenScenarios(): Promise<SuiteResult | undefined> {
  const file = sharedPath('corpus', 'token', 'scenarios.json');
  if (file === undefined) return Promise.resolve(undefined);
  const json = JSON.parse(readFileSync(file, 'utf8')) as OracleFile;
  const results = replayScenarios(json);
  const tally = new SuiteTally('token-scenarios');
  json.scenarios.forEach((scenario, i) => {
    tally.check(scenario.name, () => {
      const got = results[i]?.steps ?? [];
      for (let s = 0; s < scenario.steps.length; s++) {
        const want = scenario.steps[s]?.expect;
        if (want === undefined) continue;
        const why = stepMismatch(want, got[s]);
        if (why !== undefined) return `step ${s} (${describe(scenario.steps[s])}): ${why}`;
      }
      return undefined;
    });
  });
  return Promise.resolve(tally.result());
}

function describe(step: OracleFile['scenarios'][number]['steps'][number] | undefined): string {
  if (step === undefined) return '?';
  if ('spawn' in step) return `spawn ${step.spawn}`;
  if ('pass_fd' in step) return `pass_fd ${step.pass_fd.h}`;
  return `${step.actor} ${step.op}`;
}
