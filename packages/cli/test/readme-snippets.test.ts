import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import test from 'ava';
import { origin, readmeSnippets, ROOT, scratchProject, transpile, typeErrors } from './support/readme-snippets.js';

// Every ```ts block of a README is a program: it type-checks strictly against the built
// packages and runs to the end (from the repository root, so `examples/…` paths resolve).
const snippets = readmeSnippets();
const dir = scratchProject(snippets);
const errors = typeErrors(snippets, dir);

test.after.always(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('the READMEs hold TypeScript snippets', (t) => {
  t.true(snippets.length >= 20, `${String(snippets.length)} snippets`);
});

for (const s of snippets) {
  test(`${s.name} type-checks and runs`, (t) => {
    t.deepEqual(errors.get(s.file), [], `type errors in the snippet at ${origin(s)}`);
    if (s.code.includes('/sys/kernel/btf') && !existsSync('/sys/kernel/btf/vmlinux')) {
      t.log('this machine has no /sys/kernel/btf/vmlinux: the snippet is type-checked, not run');
      return;
    }
    const js = transpile(s);
    const usesAva = /from 'ava'/.test(s.code);
    const args = usesAva ? [join(ROOT, 'node_modules', 'ava', 'entrypoints', 'cli.mjs'), js] : [js];
    const r = spawnSync(process.execPath, args, { cwd: usesAva ? dirname(js) : ROOT, encoding: 'utf8', timeout: 120_000 });
    t.is(r.status, 0, `the snippet at ${origin(s)} failed:\n${r.stderr}${r.stdout}`);
  });
}
