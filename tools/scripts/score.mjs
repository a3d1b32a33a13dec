// `pnpm score`: builds, then runs every conformance suite
// (packages/*/test/suites/*.suite.ts) and prints one JSON line per suite.
// With --failures, each failing vector and its reason go to stderr. A suite
// measured per engine prints one line per engine (with an "engine" field).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('../..', import.meta.url).pathname;
const showFailures = process.argv.includes('--failures');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));

const packages = readdirSync(join(root, 'packages')).filter((p) => existsSync(join(root, 'packages', p, 'test', 'suites')));
const build = spawnSync('npx', ['--no-install', 'tsc', '-b', ...packages.map((p) => `packages/${p}/test`)], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

let missing = false;
for (const pkg of packages) {
  const dir = join(root, 'packages', pkg, 'dist-test', 'suites');
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.suite.js')).sort()) {
    const suite = file.replace(/\.suite\.js$/, '');
    if (only.length && !only.includes(suite)) continue;
    const { default: run } = await import(pathToFileURL(join(dir, file)).href);
    const result = await run();
    if (result === undefined) {
      console.log(JSON.stringify({ suite, passed: 0, total: 0, skipped: 0, note: 'shared corpus not found' }));
      missing = true;
      continue;
    }
    for (const one of Array.isArray(result) ? result : [result]) {
      const { failures, ...counts } = one;
      console.log(JSON.stringify(counts));
      const label = one.engine === undefined ? suite : `${suite} [${one.engine}]`;
      if (showFailures) for (const f of failures) console.error(`  ${label}: ${f.vector}: ${f.reason}`);
    }
  }
}
if (missing) {
  console.error('score: some suites had no corpus (set BPFKIT_SHARED)');
  // A score run without its corpus measured nothing: under CI that is a failure, not a pass.
  if (process.env.CI === 'true') process.exit(1);
}
