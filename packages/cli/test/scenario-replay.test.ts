import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { sharedPath } from '@bpfkit/corpus';
import { run } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'bpfkit-replay-'));

test.after.always(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const STEPS = [
  { spawn: 'c', spec: { userns: true, mntns: true }, expect: { ok: true, errno: null } },
  { spawn: 'mgr', spec: { mntns: true } },
  { actor: 'c', op: 'fsopen', args: { fsname: 'bpf' }, save: 'fs' },
  { pass_fd: { from: 'c', h: 'fs', to: 'mgr', save: 'fs' } },
  { actor: 'mgr', op: 'fsconfig', args: { fs: 'fs', cmd: 'SET_STRING', key: 'delegate_cmds', value: 'map_create' } },
  { actor: 'mgr', op: 'fsconfig', args: { fs: 'fs', cmd: 'SET_STRING', key: 'delegate_maps', value: 'array' } },
  { actor: 'mgr', op: 'fsconfig', args: { fs: 'fs', cmd: 'CMD_CREATE' } },
  { actor: 'mgr', op: 'fsmount', args: { fs: 'fs' }, save: 'mnt' },
  { pass_fd: { from: 'mgr', h: 'mnt', to: 'c', save: 'mnt' } },
  { actor: 'c', op: 'open', args: { dir: 'mnt', rel: '.' }, save: 'bpffs' },
  { actor: 'c', op: 'token_create', args: { bpffs: 'bpffs' }, save: 'tok', expect: { ok: true, errno: null } },
  { actor: 'c', op: 'map_create', args: { map_type: 2, token: 'tok' }, expect: { ok: true, errno: null } },
  { actor: 'c', op: 'map_create', args: { map_type: 1, token: 'tok' }, check: true, expect: { ok: false, errno: 'EPERM' } },
];

function file(name: string, value: unknown): string {
  const path = join(tmp, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

const good = (steps: unknown[] = STEPS, expect: unknown = { ok: false, errno: 'EPERM' }): unknown => ({
  schema: 'token-oracle/v1',
  environment: { 'kernel.unprivileged_bpf_disabled': 2 },
  scenarios: [{ name: 'array_delegated_hash_not', steps, expect }],
});

interface Line {
  name: string;
  steps: Record<string, unknown>[];
}

test('the output keeps its format: one line per scenario, {"ok","errno","info"} per step, and a failed step adds its reason', async (t) => {
  const r = await run('scenario', 'replay', file('good.json', good()));
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.is(lines.length, 1);
  const line = JSON.parse(lines[0] ?? '') as Line;
  t.deepEqual(Object.keys(line), ['name', 'steps']);
  t.deepEqual(Object.keys(line.steps[2] ?? {}), ['ok', 'errno', 'info']);
  t.deepEqual(line.steps[2], { ok: true, errno: null, info: {} });
  t.deepEqual(line.steps.at(-1), { ok: false, errno: 'EPERM', info: {}, reason: 'map:unprivileged-disabled' });
  t.true(line.steps.filter((s) => s['ok'] === false).every((s) => typeof s['reason'] === 'string'));
  t.true(lines[0]?.startsWith('{"name":"array_delegated_hash_not","steps":[{"ok":true,"errno":null,"info":{"whoami":'));
});

test('--check: every expect holds, exit 0 and a count on stderr', async (t) => {
  const r = await run('scenario', 'replay', '--check', file('check-ok.json', good()));
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, 'check: 1 of 1 scenarios match their expect fields\n');
});

test('--check: a step or scenario expect that does not hold is printed, exit 1', async (t) => {
  const steps = STEPS.map((s, i) => (i === 11 ? { ...s, expect: { ok: false, errno: 'EPERM' } } : s));
  const r = await run('scenario', 'replay', '--check', file('check-bad.json', good(steps, { ok: true, errno: null })));
  t.is(r.code, 1);
  t.is(r.stdout.trim().split('\n').length, 1, 'the replay is still printed');
  t.is(
    r.stderr,
    'bpfkit: check: array_delegated_hash_not: step 11 (c map_create): want EPERM, got ok\n' +
      'bpfkit: check: array_delegated_hash_not: expect (step 12): want ok, got EPERM (map:unprivileged-disabled)\n' +
      'check: 0 of 1 scenarios match their expect fields\n',
  );
});

test('--check compares the info fields an expect gives', async (t) => {
  const withInfo = STEPS.map((s, i) => (i === 10 ? { ...s, expect: { ok: true, errno: null, info: { fdinfo: ['allowed_cmds:\tmap_create'] } } } : s));
  const r = await run('scenario', 'replay', '--check', file('info.json', good(withInfo)));
  t.is(r.code, 1);
  t.regex(r.stderr, /step 10 \(c token_create\): info\.fdinfo: want \["allowed_cmds:\\tmap_create"\], got \[/);
});

test('input that is not the schema is one clear line, exit 2', async (t) => {
  const cases: [unknown, RegExp][] = [
    [[], /not a token-oracle\/v1 file: the file: must be a JSON object/],
    [{ schema: 'other/v2', scenarios: [] }, /schema: must be "token-oracle\/v1", not "other\/v2"/],
    [{ schema: 'token-oracle/v1' }, /scenarios: must be an array/],
    [good([{ spawn: 'c', spec: { usrns: true } }]), /scenarios\[0\]\.steps\[0\]\.spec: unknown key "usrns"/],
    [good([{ actor: 'c', op: 'fsopen', args: {} }]), /scenarios\[0\]\.steps\[0\]\.actor: no actor 'c' spawned earlier/],
    [good([{ spawn: 'c', spec: {} }, { actor: 'c', op: 'frob', args: {} }]), /scenarios\[0\]\.steps\[1\]\.op: must be one of fsopen, /],
    [good([{ spawn: 'c', spec: {}, expect: { ok: 'yes', errno: null } }]), /scenarios\[0\]\.steps\[0\]\.expect: "ok" must be true or false/],
    [good([{ spawn: 'c', spec: {} }, { actor: 'c', op: 'fsopen' }]), /steps\[1\]\.args: must be an object/],
    [good([{ spawn: 'c', spec: {} }, { actor: 'c', op: 'map_create', args: { maptype: 2 } }]), /steps\[1\]\.args: map_create takes no "maptype" \(it takes map_type, key_size, /],
    [good([{ spawn: 'c', spec: {} }, { actor: 'c', op: 'map_create', args: { map_type: 'hash' } }]), /steps\[1\]\.args\.map_type: must be number$/m],
    [good([{ spawn: 'c', spec: {} }, { actor: 'c', op: 'drop_caps', args: { caps: 'CAP_BPF' } }]), /steps\[1\]\.args\.caps: must be a list of strings/],
  ];
  for (const [i, [value, message]] of cases.entries()) {
    const r = await run('scenario', 'replay', file(`bad-${String(i)}.json`, value));
    t.is(r.code, 2, JSON.stringify(value));
    t.is(r.stdout, '');
    t.is(r.stderr.split('\n').length, 2, r.stderr);
    t.regex(r.stderr, /^bpfkit: .+bad-\d+\.json: not a token-oracle\/v1 file: /);
    t.regex(r.stderr, message);
  }
});

const corpus = sharedPath('corpus', 'token', 'scenarios.json');
if ((corpus === undefined || !existsSync(corpus)) && process.env['CI'] !== 'true') {
  test.skip('--check on the real-kernel corpus: skipped, the shared token corpus is absent (set BPFKIT_SHARED)', () => {});
} else test('--check on the real-kernel corpus: every recorded expect holds', async (t) => {
  if (corpus === undefined || !existsSync(corpus)) {
    t.fail('the shared token corpus is absent');
    return;
  }
  const r = await run('scenario', 'replay', '--check', corpus);
  t.is(r.stderr, 'check: 71 of 71 scenarios match their expect fields\n');
  t.is(r.code, 0);
});
