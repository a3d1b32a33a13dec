import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { replayScenarios, type OracleFile } from '@bpfkit/testing';

// Scenarios behind fixes that tools/token-fuzz led to, with the answers of Linux 6.18 recorded by
// tools/token-fuzz/record.mjs (packages/linux's scenario test checks they still hold there).
const DIR = fileURLToPath(new URL('../test/fixtures/token-fuzz/', import.meta.url));

for (const name of readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()) {
  test(`token-fuzz regression ${name}: the simulated kernel gives Linux's answer at every step`, (t) => {
    const file = JSON.parse(readFileSync(`${DIR}${name}`, 'utf8')) as OracleFile;
    const results = replayScenarios(file);
    const misses: string[] = [];
    file.scenarios.forEach((sc, i) => {
      sc.steps.forEach((st, j) => {
        const want = st.expect;
        const got = results[i]?.steps[j];
        if (want === undefined || got === undefined) {
          misses.push(`${sc.name}#${String(j)}: no expect or no result`);
          return;
        }
        const infoSame = Object.entries(want.info ?? {}).every(([k, v]) => JSON.stringify(got.info?.[k]) === JSON.stringify(v));
        if (got.ok !== want.ok || got.errno !== want.errno || !infoSame) {
          misses.push(`${sc.name}#${String(j)}: Linux ${JSON.stringify(want)}, bpfkit ${JSON.stringify(got)}`);
        }
      });
    });
    t.deepEqual(misses, []);
  });
}
