import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { run } from './run.js';

interface Explanation {
  operation: string;
  allowed: boolean;
  message?: string;
  warnings: string[];
  verifierLog?: string[];
  errno?: string;
  reason?: string;
  superOptions?: string;
  mountOptions?: string;
  mountFlags?: string;
  decidedBy?: { check: string; detail: string; hint?: string };
  tokenDropped?: { check: string; detail: string; hint?: string };
}

async function explainAll(...args: string[]): Promise<Explanation[]> {
  const r = await run('token', 'explain', '--json', ...args);
  const results = r.stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Explanation);
  const want = results.every((e) => e.allowed) ? 0 : 1;
  if (r.code !== want || results.length === 0) throw new Error(`exit ${String(r.code)}: ${r.stderr}`);
  return results;
}

async function explain(...args: string[]): Promise<Explanation> {
  const [only, ...more] = await explainAll(...args);
  if (only === undefined || more.length > 0) throw new Error('not one explanation');
  return only;
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
  t.is(r.code, 1, 'a refused operation exits 1');
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

const ALL = 'delegate_cmds=any,delegate_maps=any,delegate_progs=any,delegate_attachs=any';

test('an allowed operation exits 0', async (t) => {
  const r = await run('token', 'explain', '-m', 'delegate_cmds=map_create,delegate_maps=hash', 'map_create', 'hash');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^map_create hash: allowed$/m);
});

test('several operations are each explained, quoted or one after the other; one refused makes the exit code 1', async (t) => {
  const all = await explainAll('-m', 'delegate_cmds=map_create:btf_load,delegate_maps=hash', 'map_create hash', 'map_create', 'array', 'btf_load');
  t.deepEqual(all.map((e) => [e.operation, e.allowed]), [['map_create hash', true], ['map_create array', false], ['btf_load', true]]);
  const text = await run('token', 'explain', '-m', 'delegate_cmds=map_create:btf_load,delegate_maps=hash', 'map_create hash', 'btf_load');
  t.is(text.code, 0);
  t.is(text.stdout.match(/^mount shows:/gm)?.length, 1);
  t.regex(text.stdout, /^map_create hash: allowed$[^]*^btf_load: allowed$/m);
});

test('--attach applies to every prog_load without its own', async (t) => {
  const all = await explainAll('-m', ALL, '--attach', 'xdp', 'prog_load', 'xdp', 'prog_load socket_filter --attach cgroup_inet_egress');
  t.deepEqual(all.map((e) => e.operation), ['prog_load xdp --attach xdp', 'prog_load socket_filter --attach cgroup_inet_egress']);
});

test('extra words, missing types and a stray --attach are usage errors (exit 2)', async (t) => {
  for (const args of [['map_create', 'hash', 'extra'], ['map_create'], ['--attach', 'xdp', 'btf_load'], ['prog_load', 'xdp', '--attach'], ['prog_load', 'xdp', '--attach', 'xdp', 'prog_load', 'sk_lookup', '--attach', 'sk_lookup'], ['btf_load', '--program', 'x.hex']]) {
    const r = await run('token', 'explain', '-m', ALL, ...args);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, /^(?:bpfkit|error): .+\n$/, args.join(' '));
  }
  const extra = await run('token', 'explain', '-m', ALL, 'map_create', 'hash', 'extra');
  t.is(extra.stderr, "bpfkit: unexpected word 'extra' after 'map_create hash': not an operation (map_create TYPE, prog_load TYPE [--attach TYPE], btf_load, btf_get_fd_by_id, token_create)\n");
});

test('a mount option key bpffs does not know is shown with a warning (the kernel ignores it)', async (t) => {
  const e = await explain('-m', 'delegate_cmds=any,delegate_mapz=hash', 'btf_load');
  t.true(e.allowed);
  t.deepEqual(e.warnings.length, 1);
  t.regex(e.warnings[0] ?? '', /'delegate_mapz' is not a bpffs option: the kernel ignores it/);
  const r = await run('token', 'explain', '-m', 'delegate_cmds=any,delegate_mapz=hash', 'btf_load');
  t.regex(r.stdout, /^warning: mount option 'delegate_mapz'/m);
  t.deepEqual((await explain('-m', 'none /sys/fs/bpf bpf rw,relatime,uid=0,delegate_cmds=any 0 0', 'btf_load')).warnings, []);
});

test('when the verifier refuses, its message and log are shown, and the capability checks it went past are non-fatal', async (t) => {
  const leak = join(mkdtempSync(join(tmpdir(), 'bpfkit-explain-')), 'leak.s');
  writeFileSync(leak, 'r0 = r10\nexit\n');
  const e = await explain('-m', ALL, '--caps', 'CAP_BPF', '--program', leak, 'prog_load', 'socket_filter');
  t.is(e.errno, 'EACCES');
  t.is(e.decidedBy?.check, 'the verifier (bpf_check)');
  t.is(e.message, 'R0 leaks addr as return value');
  t.is(e.verifierLog?.at(-1), 'R0 leaks addr as return value');
  const r = await run('token', 'explain', '-m', ALL, '--caps', 'CAP_BPF', '--program', leak, 'prog_load', 'socket_filter');
  t.is(r.code, 1);
  t.regex(r.stdout, /refused with EACCES \(verifier:ptr-leak\): R0 leaks addr as return value/);
  t.regex(r.stdout, /^the verifier said:\n(?: {2}.+\n)* {2}R0 leaks addr as return value$/m);
  t.regex(r.stdout, /✗ bpf_token_capable: .+ \(non-fatal: the kernel went on\)/);
});

test('a dropped token is marked non-fatal; the deciding check is not', async (t) => {
  const r = await run('token', 'explain', '-m', 'delegate_cmds=map_create,delegate_maps=hash', 'map_create', 'array');
  t.is(r.code, 1);
  t.regex(r.stdout, /✗ bpf_token_allow_map_type: .+ \(non-fatal: the kernel went on\)/);
  t.regex(r.stdout, /✗ map_create:unprivileged_bpf_disabled: .+ → EPERM\n/);
  t.regex(r.stdout, /^the token was dropped: .+ \(non-fatal: the kernel went on without it\)$/m);
});

test('VFS mount flags are applied to the mount and said to play no part in the decision; ro refuses pins (as on 6.18)', async (t) => {
  const line = 'none /sys/fs/bpf bpf ro,nosuid,nodev,noexec,relatime,delegate_cmds=any,delegate_maps=any 0 0';
  const e = await explain('-m', line, 'map_create', 'hash');
  t.true(e.allowed);
  t.deepEqual(e.warnings, []);
  t.is(e.mountOptions, 'ro,nosuid,nodev,noexec,relatime');
  t.regex(e.mountFlags ?? '', /^mount flags ro,nosuid,nodev,noexec: applied to the mount; they take no part in token decisions/);
  t.regex(e.mountFlags ?? '', /pinning in it \(BPF_OBJ_PIN\) fails with EROFS$/);
  const r = await run('token', 'explain', '-m', line, 'map_create', 'hash');
  t.regex(r.stdout, /^mount flags: ro,nosuid,nodev,noexec,relatime$/m);
  t.regex(r.stdout, /^note: mount flags ro,nosuid,nodev,noexec: /m);
  const plain = await explain('-m', 'none /sys/fs/bpf bpf rw,relatime,delegate_cmds=any,delegate_maps=any 0 0', 'map_create', 'hash');
  t.is(plain.mountFlags, undefined, 'rw and relatime are what a mount has anyway');
  t.is(plain.mountOptions, 'rw,relatime');
});

test('mount flags change no token decision: a refusal reads the same with and without them; sync reaches the superblock', async (t) => {
  const opts = 'delegate_cmds=map_create,delegate_maps=hash';
  const bare = await explain('-m', opts, 'map_create', 'array');
  const flagged = await explain('-m', `nosuid,nodev,noexec,noatime,${opts}`, 'map_create', 'array');
  t.false(flagged.allowed);
  t.is(flagged.errno, bare.errno);
  t.deepEqual(flagged.decidedBy, bare.decidedBy);
  t.deepEqual(flagged.tokenDropped, bare.tokenDropped);
  t.is(flagged.mountOptions, 'rw,nosuid,nodev,noexec,noatime');
  t.not(flagged.mountFlags?.includes('EROFS'), true);
  const sync = await explain('-m', `sync,${opts}`, 'map_create', 'hash');
  t.regex(sync.superOptions ?? '', /^rw,sync,/);
});
