import test from 'ava';
import { run } from './run.js';

interface Explanation {
  allowed: boolean;
  errno?: string;
  reason?: string;
  superOptions?: string;
  decidedBy?: { check: string; detail: string; hint?: string };
  tokenDropped?: { check: string; detail: string; hint?: string };
}

async function explain(...args: string[]): Promise<Explanation> {
  const r = await run('token', 'explain', '--json', ...args);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Explanation;
}

test('a delegated map type with CAP_BPF in the container is allowed', async (t) => {
  const e = await explain('-m', 'delegate_cmds=map_create,delegate_maps=hash', 'map_create', 'hash');
  t.true(e.allowed);
  t.is(e.superOptions, 'rw,uid=100000,gid=100000,delegate_cmds=map_create,delegate_maps=hash');
});

test('a map type outside delegate_maps drops the token, and the sysctl then refuses with EPERM', async (t) => {
  const e = await explain('-m', 'delegate_cmds=map_create,delegate_maps=hash', 'map_create', 'array');
  t.false(e.allowed);
  t.is(e.errno, 'EPERM');
  t.is(e.tokenDropped?.check, 'bpf_token_allow_map_type');
  t.regex(e.tokenDropped?.hint ?? '', /add array to delegate_maps/);
});

test('a number after a name replaces the mask: hash:0x8000000000000000 delegates no known map type', async (t) => {
  const e = await explain('-m', 'delegate_cmds=map_create,delegate_maps=hash:0x8000000000000000', 'map_create', 'hash');
  t.false(e.allowed);
  t.is(e.superOptions, 'rw,uid=100000,gid=100000,delegate_cmds=map_create');
});

test('xdp needs CAP_NET_ADMIN in the token userns even when delegated', async (t) => {
  const e = await explain('-m', 'delegate_cmds=any,delegate_progs=xdp,delegate_attachs=xdp', '--caps', 'CAP_BPF', 'prog_load', 'xdp', '--attach', 'xdp');
  t.false(e.allowed);
  t.is(e.decidedBy?.check, 'prog_load:type-needs-CAP_NET_ADMIN');
  const ok = await explain('-m', 'delegate_cmds=any,delegate_progs=xdp,delegate_attachs=xdp', '--caps', 'CAP_BPF,CAP_NET_ADMIN', 'prog_load', 'xdp', '--attach', 'xdp');
  t.true(ok.allowed);
});

test('a token from a sibling user namespace is refused with EPERM at creation', async (t) => {
  const e = await explain('-m', 'delegate_cmds=any', '--caller', 'sibling', 'btf_load');
  t.is(e.errno, 'EPERM');
  t.is(e.decidedBy?.check, 'token_create:userns-match');
});

test("host root cannot create a token from a container's bpffs: the userns must match exactly", async (t) => {
  const e = await explain('-m', 'delegate_cmds=any', '--caller', 'host-root', 'token_create');
  t.is(e.errno, 'EPERM');
  t.is(e.reason, 'token:userns-mismatch');
});

test('without CAP_BPF the token cannot be created, CAP_SYS_ADMIN does not stand in', async (t) => {
  const e = await explain('-m', 'delegate_cmds=any', '--caps', 'CAP_SYS_ADMIN', 'token_create');
  t.is(e.errno, 'EPERM');
  t.is(e.reason, 'token:missing-CAP_BPF');
});

test('the text output ends with the deciding check and what would pass', async (t) => {
  const r = await run('token', 'explain', '-m', 'delegate_cmds=map_create', 'map_create', 'hash');
  t.is(r.code, 0);
  t.regex(r.stdout, /^decided by .+\n {2}to pass: .+\n$/m);
  t.regex(r.stdout, /✗ bpf_token_allow_map_type/);
});

test('a bad capability name is one clear line', async (t) => {
  const r = await run('token', 'explain', '-m', 'delegate_cmds=any', '--caps', 'CAP_NOPE', 'btf_load');
  t.is(r.code, 2);
  t.is(r.stderr, "bpfkit: unknown capability 'CAP_NOPE'\n");
});

test('a bad mount option is the deciding failure, named with the kernel message', async (t) => {
  const e = await explain('-m', 'delegate_cmds=bogus', 'map_create', 'hash');
  t.is(e.errno, 'EINVAL');
  t.is(e.decidedBy?.check, "the manager's fsconfig(delegate_cmds=bogus)");
});
