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

test('the demo creates a token, a map and a program, and explains the refused xdp load', async (t) => {
  const r = await run('demo', '--examples', EXAMPLES);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /✓ BPF_TOKEN_CREATE/);
  t.regex(r.stdout, /✓ BPF_MAP_CREATE hash, with the token/);
  t.regex(r.stdout, /✓ BPF_PROG_LOAD socket_filter/);
  t.regex(r.stdout, /✗ BPF_PROG_LOAD xdp.*EPERM/);
  t.regex(r.stdout, /the token was dropped: .*delegate_progs lacks xdp/);
  t.regex(r.stdout, /gives back the same 152 bytes: yes/);
});

test('in the demo a program loaded with the token counts packets into the map the token created', async (t) => {
  const r = await run('demo');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /✓ BPF_PROG_LOAD socket_filter counting packets per EtherType into that map, with the token/);
  t.regex(r.stdout, /a 60-byte IPv4 frame → retval 46 \(bytes kept\)/);
  t.regex(r.stdout, /EtherType 0x0800 \(IPv4\): 2 packets/);
  t.regex(r.stdout, /EtherType 0x86dd \(IPv6\): 1 packet\n/);
  t.regex(r.stdout, /EtherType 0x0806 \(ARP\): 1 packet\n/);
});
