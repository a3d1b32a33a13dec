import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadObjectSpec } from '@bpfkit/elf';
import { run } from './run.js';

const FIXTURES = new URL('../../elf/test/fixtures/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'bpfkit-gen-object-'));

test('gen object links two objects: the extern resolves to the other object\'s global function', async (t) => {
  const out = join(tmp, 'linked.o');
  const r = await run('gen', 'object', out, `${FIXTURES}link_main.o`, `${FIXTURES}link_lib.o`);
  t.is(r.code, 0, r.stderr);
  const spec = loadObjectSpec(new Uint8Array(readFileSync(out)));
  t.deepEqual(spec.programs.map((p) => [p.name, p.subprograms]), [['main_prog', ['helper', 'lib_add']], ['lib_prog', ['lib_add', 'lib_weak']]]);
  t.deepEqual(spec.externs, []);
  const loaded = await run('object', 'run', out, '--json');
  t.is(loaded.code, 0, loaded.stderr);
  t.like(JSON.parse(loaded.stdout), { load: { ok: true } });
});

test('gen object refuses conflicting definitions in one line, exit code 1', async (t) => {
  const r = await run('gen', 'object', join(tmp, 'bad.o'), `${FIXTURES}link_main.o`, `${FIXTURES}link_conflict.o`);
  t.is(r.code, 1);
  t.regex(r.stderr, /^bpfkit: EINVAL \(elf:link\): global 'lib_add'/);
});
