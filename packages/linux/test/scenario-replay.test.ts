import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { BpfError } from '@bpfkit/kernel-api';
import { delegationAvailability } from '@bpfkit/linux/delegation';
import { replayScenariosOnLinux } from '@bpfkit/linux/scenario';

const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
// Regression scenarios of the simulated kernel, recorded here by tools/token-fuzz/record.mjs.
const FIXTURES = fileURLToPath(new URL('../../testing/test/fixtures/token-fuzz/', import.meta.url));

function corpusFile(): string | undefined {
  const env = process.env['BPFKIT_SHARED'];
  const dir = env !== undefined && env !== '' ? resolve(env) : resolve(REPO, '..', 'shared');
  const file = join(dir, 'corpus', 'token', 'scenarios.json');
  return existsSync(file) ? file : undefined;
}

interface Expect {
  readonly ok: boolean;
  readonly errno: string | null;
  readonly info?: Readonly<Record<string, unknown>>;
}

const avail = delegationAvailability();
const file = corpusFile();
if (!avail.available || file === undefined) {
  const why = avail.available ? 'the shared token corpus is not here (set BPFKIT_SHARED)' : avail.reason;
  test.skip(`linux scenario replay: skipped, ${why}`, () => {});
} else {
  test('every step of the token corpus replays on this kernel with its recorded ok, errno and info', (t) => {
    const json = JSON.parse(readFileSync(file, 'utf8')) as { scenarios: { name: string; steps: { expect: Expect }[] }[] };
    const results = replayScenariosOnLinux(json);
    const misses: string[] = [];
    let steps = 0;
    results.forEach((r, i) => {
      const sc = json.scenarios[i];
      sc?.steps.forEach((st, j) => {
        steps++;
        const got = r.steps[j];
        const same =
          got !== undefined &&
          got.ok === st.expect.ok &&
          got.errno === st.expect.errno &&
          Object.entries(st.expect.info ?? {}).every(([k, v]) => JSON.stringify(got.info?.[k]) === JSON.stringify(v));
        if (!same) misses.push(`${sc.name}#${String(j)}: expected ${JSON.stringify(st.expect)}, got ${JSON.stringify(got)}`);
      });
    });
    t.is(steps, 891);
    t.deepEqual(misses, []);
  });

  for (const name of existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort() : []) {
    test(`token-fuzz regression ${name} still holds on this kernel`, (t) => {
      const json = JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as { scenarios: { name: string; steps: { expect: Expect }[] }[] };
      const results = replayScenariosOnLinux(json);
      const misses: string[] = [];
      json.scenarios.forEach((sc, i) => {
        sc.steps.forEach((st, j) => {
          const got = results[i]?.steps[j];
          const same = got !== undefined && got.ok === st.expect.ok && got.errno === st.expect.errno &&
            Object.entries(st.expect.info ?? {}).every(([k, v]) => JSON.stringify(got.info?.[k]) === JSON.stringify(v));
          if (!same) misses.push(`${sc.name}#${String(j)}: recorded ${JSON.stringify(st.expect)}, now ${JSON.stringify(got)}`);
        });
      });
      t.deepEqual(misses, []);
    });
  }

  test('malformed steps are REPLAY results, not crashes; bad options and files are EINVAL', (t) => {
    const [r] = replayScenariosOnLinux({
      scenarios: [
        {
          name: 'malformed',
          steps: [
            { spawn: 'a', spec: {} },
            { actor: 'nobody', op: 'fsopen', args: {} },
            { actor: 'a', op: 'frobnicate', args: {} },
            { actor: 'a', op: 'close', args: { h: 'missing' } },
            { actor: 'a', op: 'token_create', args: { raw_fd: 9999 } },
          ],
        },
      ],
    });
    t.deepEqual(r?.steps.map((s) => s.errno), [null, 'REPLAY', 'REPLAY', 'REPLAY', 'EBADF']);
    t.throws(() => replayScenariosOnLinux({}), { instanceOf: BpfError });
    t.throws(() => replayScenariosOnLinux({ scenarios: [] }, { bogus: 1 } as never), { instanceOf: BpfError });
  });
}
