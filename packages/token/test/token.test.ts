import test, { type ExecutionContext } from 'ava';
import { BpfError, type BpfErrorReason, type TraceStep, type Tracer } from '@bpfkit/kernel-api';
import { createPolicyModule, deny } from '@bpfkit/lsm';
import { TOKEN_CREATE_CHECKS, createTokenService } from '@bpfkit/token';
import { makeNoopTokenService } from '@bpfkit/token/testing';
import { BpfCmd, BpfMapType, BpfProgType, Capability, capMask, type ErrnoName } from '@bpfkit/uapi';
import { ALL, NONE, makeWorld } from './world.js';

const { CAP_BPF, CAP_SYS_ADMIN, CAP_PERFMON, CAP_NET_ADMIN } = Capability;

function refused(t: ExecutionContext, fn: () => unknown, code: ErrnoName, reason?: BpfErrorReason): void {
  const e = t.throws(fn, { instanceOf: BpfError });
  t.is(e?.code, code);
  if (reason !== undefined) t.is(e?.reason, reason);
}

function recorder(): Tracer & { steps: TraceStep[]; groups: string[] } {
  const steps: TraceStep[] = [];
  const groups: string[] = [];
  return {
    steps,
    groups,
    step: (s) => steps.push(s),
    group: (title, fn) => {
      groups.push(title);
      return fn();
    },
  };
}

// --- §2 BPF_TOKEN_CREATE, checks 3–11 in order ---

test('an O_PATH fd (as fsmount returns) is refused with EBADF', (t) => {
  const w = makeWorld();
  const c = w.container();
  refused(t, () => w.tokens.create(c, w.bpffs(c.userNs, ALL, { opath: true })), 'EBADF', 'token:opath-fd');
});

test('a subdirectory of a bpffs is refused with EINVAL', (t) => {
  const w = makeWorld();
  const c = w.container();
  refused(t, () => w.tokens.create(c, w.bpffs(c.userNs, ALL, { isSuperblockRoot: false })), 'EINVAL', 'token:not-root');
});

test('a file system other than bpffs is refused with EINVAL', (t) => {
  const w = makeWorld();
  const c = w.container();
  refused(t, () => w.tokens.create(c, w.bpffs(c.userNs, ALL, { fsType: 'proc', delegate: undefined })), 'EINVAL', 'token:not-bpffs');
});

test('path permission asks no r/w/x bits, so only a security module can fail it', (t) => {
  const c0 = makeWorld();
  const c = c0.container();
  t.notThrows(() => c0.tokens.create(c, c0.bpffs(c.userNs)));
  const w = makeWorld([createPolicyModule({ name: 'paths', pathPermission: () => deny('EACCES', 'no bpffs for you') })]);
  const d = w.container();
  refused(t, () => w.tokens.create(d, w.bpffs(d.userNs)), 'EACCES', 'token:lsm-path-permission');
});

test('token from a sibling userns is refused with EPERM', (t) => {
  const w = makeWorld();
  const owner = w.container(w.root, 100000);
  const sibling = w.container(w.root, 200000);
  refused(t, () => w.tokens.create(sibling, w.bpffs(owner.userNs)), 'EPERM', 'token:userns-mismatch');
});

test('token from a userns nested below the bpffs userns is refused with EPERM', (t) => {
  const w = makeWorld();
  const c = w.container();
  const nested = w.container(c, 'self');
  refused(t, () => w.tokens.create(nested, w.bpffs(c.userNs)), 'EPERM', 'token:userns-mismatch');
});

test('a container cannot create a token from a host-owned bpffs (EPERM)', (t) => {
  const w = makeWorld();
  const c = w.container();
  refused(t, () => w.tokens.create(c, w.bpffs(w.userNamespaces.init)), 'EPERM', 'token:userns-mismatch');
});

test('token creation needs CAP_BPF: CAP_SYS_ADMIN does not substitute (EPERM)', (t) => {
  const w = makeWorld();
  const c = w.caps.dropEffective(w.container(), capMask(CAP_BPF));
  t.true(w.caps.capCapable(c, c.userNs, CAP_SYS_ADMIN));
  refused(t, () => w.tokens.create(c, w.bpffs(c.userNs)), 'EPERM', 'token:missing-CAP_BPF');
});

test('a token cannot be created in the init userns (EOPNOTSUPP)', (t) => {
  const w = makeWorld();
  refused(t, () => w.tokens.create(w.root, w.bpffs(w.userNamespaces.init)), 'EOPNOTSUPP', 'token:init-userns');
});

test('a bpffs without delegation gives ENOENT', (t) => {
  const w = makeWorld();
  const c = w.container();
  refused(t, () => w.tokens.create(c, w.bpffs(c.userNs, NONE)), 'ENOENT', 'token:no-delegation');
});

test('any single nonzero mask is enough, even unknown bits alone', (t) => {
  const w = makeWorld();
  const c = w.container();
  t.notThrows(() => w.tokens.create(c, w.bpffs(c.userNs, { ...NONE, attachs: ~0n })));
  const token = w.tokens.create(c, w.bpffs(c.userNs, { ...NONE, cmds: 1n << 63n }));
  t.is(token.allowedCmds, 1n << 63n);
});

test('the LSM token_create hook runs last and its errno is returned', (t) => {
  const seen: string[] = [];
  const w = makeWorld([createPolicyModule({ tokenCreate: ({ token }) => { seen.push(`#${token.id}`); return deny('EACCES'); } })]);
  const c = w.container();
  refused(t, () => w.tokens.create(c, w.bpffs(c.userNs)), 'EACCES', 'token:lsm-denied');
  t.is(seen.length, 1);
  // Earlier failures never reach the hook.
  t.throws(() => w.tokens.create(c, w.bpffs(c.userNs, NONE)));
  t.is(seen.length, 1);
});

test('a non-root dentry (EINVAL) is reported before a userns mismatch (EPERM)', (t) => {
  const w = makeWorld();
  const c = w.container();
  refused(t, () => w.tokens.create(c, w.bpffs(w.userNamespaces.init, ALL, { isSuperblockRoot: false })), 'EINVAL');
});

test('a missing CAP_BPF (EPERM) is reported before missing delegation (ENOENT)', (t) => {
  const w = makeWorld();
  const c = w.caps.dropEffective(w.container(), capMask(CAP_BPF));
  refused(t, () => w.tokens.create(c, w.bpffs(c.userNs, NONE)), 'EPERM', 'token:missing-CAP_BPF');
});

test('the token records the bpffs userns and a copy of the masks', (t) => {
  const w = makeWorld();
  const c = w.container();
  const delegate = { cmds: 0x21n, maps: 0x6n, progs: 0x2n, attachs: 0x1n };
  const token = w.tokens.create(c, w.bpffs(c.userNs, delegate));
  delegate.cmds = 0n;
  t.is(token.userNs, c.userNs);
  t.deepEqual([token.allowedCmds, token.allowedMaps, token.allowedProgs, token.allowedAttachs], [0x21n, 0x6n, 0x2n, 0x1n]);
});

test('several tokens can come from one bpffs, each with its own id', (t) => {
  const w = makeWorld();
  const c = w.container();
  const a = w.tokens.create(c, w.bpffs(c.userNs));
  const b = w.tokens.create(c, w.bpffs(c.userNs));
  t.not(a.id, b.id);
});

test('every creation check is traced in kernel order, with a hint on the failure and skips after it', (t) => {
  const w = makeWorld();
  const c = w.container();
  const ok = recorder();
  w.tokens.create(c, w.bpffs(c.userNs), ok);
  t.deepEqual(ok.steps.filter((s) => s.check.startsWith('token_create')).map((s) => s.check), [...TOKEN_CREATE_CHECKS]);
  t.true(ok.groups.includes('BPF_TOKEN_CREATE'));
  const bad = recorder();
  const sibling = w.container(w.root, 200000);
  t.throws(() => w.tokens.create(sibling, w.bpffs(c.userNs), bad));
  const failed = bad.steps.find((s) => s.outcome === 'fail');
  t.is(failed?.check, 'token_create:userns-match');
  t.is(failed?.errno, 'EPERM');
  t.regex(failed?.detail ?? '', /sibling/);
  t.truthy(failed?.hint);
  t.is(bad.steps.filter((s) => s.outcome === 'skip').length, 4);
});

test('the CAP_BPF failure names the namespace and says CAP_SYS_ADMIN does not count', (t) => {
  const w = makeWorld();
  const c = w.caps.dropEffective(w.container(), capMask(CAP_BPF));
  const r = recorder();
  t.throws(() => w.tokens.create(c, w.bpffs(c.userNs), r));
  const failed = r.steps.find((s) => s.check === 'token_create:ns_capable');
  t.regex(failed?.detail ?? '', new RegExp(`userns#${c.userNs.id}`));
  t.regex(failed?.hint ?? '', /CAP_SYS_ADMIN does not/);
  t.true(r.steps.some((s) => s.check === 'cap_capable' && s.outcome === 'fail'));
});

// --- fdinfo ---

test('fdinfo prints any when every known bit is set, else the stored mask in hex', (t) => {
  const w = makeWorld();
  const c = w.container();
  t.is(w.tokens.fdinfo(w.tokens.create(c, w.bpffs(c.userNs))), 'allowed_cmds:\tany\nallowed_maps:\tany\nallowed_progs:\tany\nallowed_attachs:\tany\n');
  const token = w.tokens.create(c, w.bpffs(c.userNs, { cmds: 0x40001n, maps: 0x4n, progs: 0n, attachs: 0n }));
  t.is(w.tokens.fdinfo(token), 'allowed_cmds:\t0x40001\nallowed_maps:\t0x4\nallowed_progs:\t0x0\nallowed_attachs:\t0x0\n');
});

test('fdinfo keeps unknown high bits and shows any for exactly the known range', (t) => {
  const w = makeWorld();
  const c = w.container();
  const hi = w.tokens.create(c, w.bpffs(c.userNs, { ...NONE, cmds: 1n << 63n }));
  t.is(w.tokens.fdinfo(hi).split('\n')[0], 'allowed_cmds:\t0x8000000000000000');
  const exact = w.tokens.create(c, w.bpffs(c.userNs, { cmds: 1n, maps: (1n << 34n) - 1n, progs: (1n << 33n) - 1n, attachs: (1n << 57n) - 1n }));
  t.deepEqual(w.tokens.fdinfo(exact).split('\n').slice(0, 4), ['allowed_cmds:\t0x1', 'allowed_maps:\tany', 'allowed_progs:\tany', 'allowed_attachs:\t0x1ffffffffffffff']);
});

test('release runs the free hook of every module', (t) => {
  const freed: string[] = [];
  const w = makeWorld([
    createPolicyModule({ name: 'a', tokenFree: () => freed.push('a') }),
    createPolicyModule({ name: 'b', tokenFree: () => freed.push('b') }),
  ]);
  const c = w.container();
  w.tokens.release(w.tokens.create(c, w.bpffs(c.userNs)));
  t.deepEqual(freed, ['a', 'b']);
});

// --- §3 using a token ---

test('allowCmd needs the cmd bit of delegate_cmds', (t) => {
  const w = makeWorld();
  const c = w.container();
  const token = w.tokens.create(c, w.bpffs(c.userNs, { ...NONE, cmds: 1n << BigInt(BpfCmd.BPF_PROG_LOAD) }));
  t.true(w.tokens.allowCmd(c, token, BpfCmd.BPF_PROG_LOAD));
  t.false(w.tokens.allowCmd(c, token, BpfCmd.BPF_MAP_CREATE));
  t.false(w.tokens.allowCmd(c, undefined, BpfCmd.BPF_PROG_LOAD));
});

test('a security_bpf_token_cmd denial silently drops the token', (t) => {
  const w = makeWorld([createPolicyModule({ tokenCmd: ({ cmd }) => cmd !== BpfCmd.BPF_BTF_LOAD })]);
  const c = w.container();
  const token = w.tokens.create(c, w.bpffs(c.userNs));
  t.false(w.tokens.allowCmd(c, token, BpfCmd.BPF_BTF_LOAD));
  t.true(w.tokens.allowCmd(c, token, BpfCmd.BPF_MAP_CREATE));
});

test('allowMapType needs the type bit and a type below __MAX_BPF_MAP_TYPE', (t) => {
  const w = makeWorld();
  const c = w.container();
  const token = w.tokens.create(c, w.bpffs(c.userNs, { ...NONE, maps: 0x2n }));
  t.true(w.tokens.allowMapType(token, BpfMapType.BPF_MAP_TYPE_HASH));
  t.false(w.tokens.allowMapType(token, BpfMapType.BPF_MAP_TYPE_ARRAY));
  const any = w.tokens.create(c, w.bpffs(c.userNs));
  t.false(w.tokens.allowMapType(any, 34));
  t.false(w.tokens.allowMapType(undefined, BpfMapType.BPF_MAP_TYPE_HASH));
});

test('allowProgType needs both the prog bit and the expected_attach_type bit', (t) => {
  const w = makeWorld();
  const c = w.container();
  const sf = BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER;
  const token = w.tokens.create(c, w.bpffs(c.userNs, { ...NONE, cmds: 0x20n, progs: 0x2n, attachs: 0x2n }));
  t.false(w.tokens.allowProgType(token, sf, 0)); // socket filter with attach type 0 needs attach bit 0
  t.true(w.tokens.allowProgType(token, sf, 1));
  t.false(w.tokens.allowProgType(token, BpfProgType.BPF_PROG_TYPE_XDP, 1));
  const any = w.tokens.create(c, w.bpffs(c.userNs));
  t.false(w.tokens.allowProgType(any, 33, 0));
  t.false(w.tokens.allowProgType(any, sf, 58));
});

test('using a token needs both the token and the capability in its userns', (t) => {
  const w = makeWorld();
  const c = w.container();
  const token = w.tokens.create(c, w.bpffs(c.userNs));
  t.true(w.tokens.capable(c, token, CAP_BPF));
  t.false(w.tokens.capable(c, undefined, CAP_BPF));
  const noCaps = w.caps.dropEffective(c, capMask(CAP_BPF, CAP_SYS_ADMIN));
  t.false(w.tokens.capable(noCaps, token, CAP_BPF));
});

test('CAP_SYS_ADMIN substitutes for CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN with a token', (t) => {
  const w = makeWorld();
  const c = w.container();
  const token = w.tokens.create(c, w.bpffs(c.userNs));
  const adminOnly = w.caps.dropEffective(c, capMask(CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN));
  for (const cap of [CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_ADMIN]) t.true(w.tokens.capable(adminOnly, token, cap));
  const bpfOnly = w.caps.dropEffective(c, capMask(CAP_SYS_ADMIN, CAP_PERFMON));
  t.false(w.tokens.capable(bpfOnly, token, CAP_SYS_ADMIN));
  t.false(w.tokens.capable(bpfOnly, token, CAP_PERFMON));
});

test('without a token, capabilities are checked in the init userns', (t) => {
  const w = makeWorld();
  const c = w.container();
  t.true(w.tokens.capable(w.root, undefined, CAP_BPF));
  t.false(w.tokens.capable(c, undefined, CAP_BPF));
});

test('a token used in a sibling userns grants nothing', (t) => {
  const w = makeWorld();
  const c = w.container(w.root, 100000);
  const sibling = w.container(w.root, 200000);
  const token = w.tokens.create(c, w.bpffs(c.userNs));
  t.false(w.tokens.capable(sibling, token, CAP_BPF));
});

test('a token used in a userns nested below its own grants nothing', (t) => {
  const w = makeWorld();
  const c = w.container();
  const token = w.tokens.create(c, w.bpffs(c.userNs));
  const nested = w.container(c, 'self');
  t.false(w.tokens.capable(nested, token, CAP_BPF));
});

test('the LSM bpf_token_capable hook can withhold a capability a token would give', (t) => {
  const w = makeWorld([createPolicyModule({ tokenCapable: ({ cap }) => cap !== CAP_PERFMON })]);
  const c = w.container();
  const token = w.tokens.create(c, w.bpffs(c.userNs));
  t.true(w.tokens.capable(c, token, CAP_BPF));
  t.false(w.tokens.capable(c, token, CAP_PERFMON));
  t.true(w.tokens.capable(w.root, undefined, CAP_PERFMON)); // the token hook runs only with a token
});

test('the LSM capable hook can refuse ns_capable at token creation', (t) => {
  const w = makeWorld([createPolicyModule({ capable: ({ cap }) => cap !== CAP_BPF })]);
  const c = w.container();
  refused(t, () => w.tokens.create(c, w.bpffs(c.userNs)), 'EPERM', 'token:missing-CAP_BPF');
});

// --- §4 owner rule ---

test('owner rule: a capability-less init root can use the token of a userns it created', (t) => {
  const w = makeWorld();
  const c = w.container(w.root);
  const token = w.tokens.create(c, w.bpffs(c.userNs));
  const capless = w.caps.dropEffective(w.root, w.root.effective);
  t.true(w.tokens.capable(capless, token, CAP_BPF));
  t.false(w.tokens.capable(capless, undefined, CAP_BPF));
});

test('owner rule: uid 1000 can use the token of its userns while uid 1001 cannot', (t) => {
  const w = makeWorld();
  const creator = w.becomeUser(w.root, 1000);
  const c = w.container(creator, 'self');
  const token = w.tokens.create(c, w.bpffs(c.userNs));
  t.true(w.tokens.capable(w.becomeUser(w.root, 1000), token, CAP_BPF));
  t.false(w.tokens.capable(w.becomeUser(w.root, 1001), token, CAP_BPF));
});

// --- construction ---

test('createTokenService rejects unknown options', (t) => {
  const w = makeWorld();
  refused(t, () => createTokenService({ capabilities: w.caps, lsm: w.lsm, userNamespaces: w.userNamespaces, extra: 1 } as never), 'EINVAL');
});

test('makeNoopTokenService denies everything but what it is given', (t) => {
  const tokens = makeNoopTokenService({ allowCmd: () => true });
  const w = makeWorld();
  t.true(tokens.allowCmd(w.root, undefined, 0));
  t.false(tokens.capable(w.root, undefined, CAP_BPF));
});
