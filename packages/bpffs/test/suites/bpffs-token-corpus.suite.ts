import { readFileSync } from 'node:fs';
import { sharedPath, SuiteTally, type SuiteResult } from '@bpfkit/corpus';
import { replay, type Scenario } from '../support/replay.js';

/**
 * The bpffs half of corpus/token/scenarios.json: every fsopen/fsconfig/
 * CMD_CREATE/reconfigure/mount(2)/fspick result (errno and fs_context log),
 * every `mount_opts` text, and the delegate masks behind every successful
 * token's fdinfo.
 */
export default function run(): Promise<SuiteResult | undefined> {
  const path = sharedPath('corpus', 'token', 'scenarios.json');
  if (path === undefined) return Promise.resolve(undefined);
  const { scenarios } = JSON.parse(readFileSync(path, 'utf8')) as { scenarios: Scenario[] };
  const tally = new SuiteTally('bpffs-token-corpus');
  for (const s of scenarios) {
    for (const { vector, problem } of replay(s)) tally.check(vector, () => problem);
  }
  return Promise.resolve(tally.result());
}
