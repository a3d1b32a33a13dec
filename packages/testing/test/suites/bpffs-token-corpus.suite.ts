import { readFileSync } from 'node:fs';
import { SuiteTally, sharedPath, type SuiteResult } from '@bpfkit/corpus';
import { replayScenarios, type OracleFile } from '@bpfkit/testing';
import { stepMismatch } from './token-scenarios.suite.js';

/**
 * bpffs-token-corpus: every step of corpus/token/scenarios.json that recorded
 * a kernel result (fsopen, fsconfig, fsmount, mount options, token create and
 * use, spawns, passed fds), one vector per step, replayed through the whole
 * simulated kernel: its VFS, bpffs, user namespaces, capabilities and token
 * decide, nothing in this file does. A step the replayer did not run is a miss.
 */
export default function run(): Promise<SuiteResult | undefined> {
  const file = sharedPath('corpus', 'token', 'scenarios.json');
  if (file === undefined) return Promise.resolve(undefined);
  const json = JSON.parse(readFileSync(file, 'utf8')) as OracleFile;
  const results = replayScenarios(json);
  const tally = new SuiteTally('bpffs-token-corpus');
  json.scenarios.forEach((scenario, i) => {
    scenario.steps.forEach((step, s) => {
      if (step.expect === undefined) return;
      const what = 'spawn' in step ? 'spawn' : 'pass_fd' in step ? 'pass_fd' : step.op;
      const why = stepMismatch(step.expect, results[i]?.steps[s]);
      if (why === undefined) tally.pass();
      else tally.miss(`${scenario.name}#${String(s)}:${what}`, why === 'step not replayed' ? why : `${what} differs`, why);
    });
  });
  return Promise.resolve(tally.result());
}
