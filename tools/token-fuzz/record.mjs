#!/usr/bin/env node
// Records what the running kernel answers to token-oracle/v1 scenario files, in place: every
// step's `expect`, the scenario's `expect` (its `check` step, else its last) and `kernel`.
//
//   node tools/token-fuzz/record.mjs packages/testing/test/fixtures/token-fuzz/*.json
//
// Needs root and the built linux package. Use it for regression scenarios of fixes the fuzzer led
// to: the fixture then holds Linux's answers, and the simulated kernel's test replays it.
import { readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { replayScenariosOnLinux } from '../../packages/linux/dist/scenario/index.js';
import { errnoNumber } from './errno.mjs';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node tools/token-fuzz/record.mjs FILE.json...\n');
  process.exit(2);
}
for (const file of files) {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const results = replayScenariosOnLinux(json);
  json.kernel = release();
  json.scenarios.forEach((sc, i) => {
    const r = results[i];
    sc.steps.forEach((st, j) => {
      const { ok, errno, info } = r.steps[j];
      st.expect = { ok, errno, ...(errno !== null && errnoNumber(errno) !== undefined ? { errno_num: errnoNumber(errno) } : {}), ...(info === undefined ? {} : { info }) };
    });
    const check = sc.steps.findLastIndex((st) => st.check === true);
    sc.expect = sc.steps[check >= 0 ? check : sc.steps.length - 1].expect;
  });
  writeFileSync(file, `${JSON.stringify(json, null, 1)}\n`);
  console.log(`${file}: ${String(json.scenarios.length)} scenarios recorded on ${json.kernel}`);
}
