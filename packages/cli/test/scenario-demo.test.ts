import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { EXAMPLES, run } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'bpfkit-scenario-'));

const SCENARIO = {
  schema: 'token-oracle/v1',
  kernel: '6.18',
  environment: {},
  scenarios: [
    {
      name: 'container_token_then_map',
      steps: [
        { spawn: 'c', spec: { userns: true, mntns: true }, expect: { ok: false, errno: 'EIO' } },
        { spawn: 'mgr', spec: { mntns: true } },
        { actor: 'c', op: 'fsopen', args: { fsname: 'bpf' }, save: 'fs' },
        { pass_fd: { from: 'c', h: 'fs', to: 'mgr', save: 'fs' } },
        { actor: 'mgr', op: 'fsconfig', args: { fs: 'fs', cmd: 'SET_STRING', key: 'delegate_cmds', value: 'map_create' } },
        { actor: 'mgr', op: 'fsconfig', args: { fs: 'fs', cmd: 'SET_STRING', key: 'delegate_maps', value: 'array' } },
        { actor: 'mgr', op: 'fsconfig', args: { fs: 'fs', cmd: 'CMD_CREATE' } },
        { actor: 'mgr', op: 'fsmount', args: { fs: 'fs' }, save: 'mnt' },
        { pass_fd: { from: 'mgr', h: 'mnt', to: 'c', save: 'mnt' } },
        { actor: 'c', op: 'open', args: { dir: 'mnt', rel: '.' }, save: 'bpffs' },
        { actor: 'c', op: 'token_create', args: { bpffs: 'bpffs' }, save: 'tok' },
        { actor: 'c', op: 'map_create', args: { map_type: 2, token: 'tok' } },
        { actor: 'c', op: 'map_create', args: { map_type: 1, token: 'tok' } },
      ],
    },
  ],
};

test('scenario replay prints one JSON line per scenario with one result per step, ignoring expect', async (t) => {
  const file = join(tmp, 'scenario.json');
  writeFileSync(file, JSON.stringify(SCENARIO));
  const r = await run('scenario', 'replay', file);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.is(lines.length, 1);
  const result = JSON.parse(lines[0] ?? '') as { name: string; steps: { ok: boolean; errno: string | null }[] };
  t.is(result.name, 'container_token_then_map');
  t.is(result.steps.length, SCENARIO.scenarios[0]?.steps.length ?? -1);
  t.true(result.steps[0]?.ok);
  t.deepEqual(result.steps.slice(-2).map((s) => [s.ok, s.errno]), [[true, null], [false, 'EPERM']]);
});

test('scenario replay on a file that is not JSON is one line', async (t) => {
  const file = join(tmp, 'bad.json');
  writeFileSync(file, '{');
  const r = await run('scenario', 'replay', file);
  t.is(r.code, 2);
  t.regex(r.stderr, /^bpfkit: .*bad\.json: not JSON/);
});

test('the demo: a container loads the XDP firewall through the client with a token, runs packets, and is refused what was not delegated', async (t) => {
  const r = await run('demo', '--examples', EXAMPLES);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /\/sys\/fs\/bpf bpf rw,uid=100000,gid=100000,delegate_cmds=map_create:prog_load:btf_load/);
  t.regex(r.stdout, /✓ BPF_TOKEN_CREATE from \/sys\/fs\/bpf → fd \d+/);
  t.regex(r.stdout, /allowed_maps: 0x6/);
  t.regex(r.stdout, /✓ program xdp_firewall \(xdp\) verified/);
  t.regex(r.stdout, /TCP SYN 10\.0\.0\.1:40000 → 10\.0\.0\.2:8080 → XDP_DROP/);
  t.regex(r.stdout, /UDP {5}10\.0\.0\.1:40000 → 10\.0\.0\.2:53 {3}→ XDP_PASS/);
  t.regex(r.stdout, /10\.0\.0\.1: passed 1, dropped 1/);
  t.regex(r.stdout, /✗ load → EPERM/);
  t.regex(r.stdout, /the token was dropped: token #1: delegate_maps lacks percpu_array/);
  t.regex(r.stdout, /the token was dropped: token #1: delegate_progs lacks sched_cls/);
});

test('demo --tools also shows asm, disasm and btf dump on the xdp_count example', async (t) => {
  const r = await run('demo', '--examples', EXAMPLES, '--tools');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /gives back the same 152 bytes: yes/);
});
