// Fails when a package imports across the architecture's boundaries. It first
// proves itself on a fixture tree that breaks every rule once.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { checkTree } from './boundaries.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const expectedInFixture = [
  'packages/asm/src/index.ts: @bpfkit/asm may not import @bpfkit/kernel',
  'packages/caps/src/index.ts: @bpfkit/caps may not import @bpfkit/token',
  'packages/caps/src/index.ts: relative import \'../../token/src/index.js\' leaves the package',
  'packages/kernel/src/cmds.ts: @bpfkit/kernel may not import @bpfkit/token',
  'packages/libbpf/src/index.ts: @bpfkit/libbpf may not import @bpfkit/kernel',
  'packages/token/src: import cycle between a.ts, b.ts',
  'packages/testing/src/index.ts: \'@bpfkit/kernel/dist/internal.js\' is not a public entry point of @bpfkit/kernel',
  'packages/userns/src/index.ts: @bpfkit/userns may not import @bpfkit/caps',
  'packages/userns/src/index.ts: @bpfkit/caps is not a dependency in packages/userns/package.json',
];
const got = checkTree(join(here, 'fixtures', 'boundaries')).sort();
const missing = expectedInFixture.filter((v) => !got.includes(v));
const extra = got.filter((v) => !expectedInFixture.includes(v));
if (missing.length || extra.length) {
  console.error('boundaries: the checker no longer catches the fixture violations');
  for (const v of missing) console.error(`  not caught: ${v}`);
  for (const v of extra) console.error(`  unexpected: ${v}`);
  process.exit(1);
}

const violations = checkTree(join(here, '..', '..'));
for (const v of violations) console.error(`boundaries: ${v}`);
console.log(`boundaries: ${violations.length === 0 ? 'ok' : `${violations.length} violation(s)`} (fixture: ${got.length} caught)`);
process.exit(violations.length === 0 ? 0 : 1);
