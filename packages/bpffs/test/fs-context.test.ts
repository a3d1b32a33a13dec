import test from 'ava';
import { BpfError, MAY_ACCESS, type BpfFs, type Credentials, type FsContext, type FsParameter } from '@bpfkit/kernel-api';
import { Capability } from '@bpfkit/uapi';
import { createBpfFs, delegateMasksOf } from '@bpfkit/bpffs';
import { makeNoopBpfFs } from '@bpfkit/bpffs/testing';
import { capabilities, childNs, cred, hostRoot, initNs, userNamespaces } from './support/world.js';

const container = childNs(initNs, 0);
const containerRoot = cred(container, 100000);
const hostNoSysAdmin = cred(initNs, 0, hostRoot.effective & ~(1n << BigInt(Capability.CAP_SYS_ADMIN)));

function setup(opener: Credentials = containerRoot): { fs: BpfFs; ctx: FsContext } {
  const fs = createBpfFs({ userNamespaces, capabilities });
  const ctx: FsContext = { fsType: fs, purpose: 'new', userNs: opener.userNs, cred: opener, superblock: undefined, fsPrivate: undefined, log: [] };
  fs.initFsContext(ctx);
  return { fs, ctx };
}

const str = (key: string, value: string): FsParameter => ({ type: 'string', key, value });

function fails(t: { fail(m: string): void }, fn: () => unknown): BpfError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BpfError) return e;
    throw e;
  }
  t.fail('expected a BpfError');
  return new BpfError('EINVAL', 'test:none', 'unreachable');
}

test('unknown keys are ignored', (t) => {
  const { fs, ctx } = setup();
  fs.parseParam(ctx, str('no_such_option', 'x'), hostRoot);
  fs.parseParam(ctx, { type: 'flag', key: 'nosuch' }, hostRoot);
  t.deepEqual(ctx.log, []);
});

test('source= is taken once, as a string only', (t) => {
  const { fs, ctx } = setup();
  fs.parseParam(ctx, str('source', 'bpf'), hostRoot);
  t.is(ctx.source, 'bpf');
  t.is(fails(t, () => { fs.parseParam(ctx, str('source', 'x'), hostRoot); }).code, 'EINVAL');
  t.deepEqual(ctx.log, ['e Multiple sources']);
  const other = setup();
  t.is(fails(t, () => { other.fs.parseParam(other.ctx, { type: 'flag', key: 'source' }, hostRoot); }).code, 'EINVAL');
  t.deepEqual(other.ctx.log, ['e Non-string source']);
});

test('a delegate key given as a flag or an empty string is a bad value with a log line', (t) => {
  const { fs, ctx } = setup();
  t.is(fails(t, () => { fs.parseParam(ctx, { type: 'flag', key: 'delegate_cmds' }, hostRoot); }).code, 'EINVAL');
  t.is(fails(t, () => { fs.parseParam(ctx, str('delegate_cmds', ''), hostRoot); }).code, 'EINVAL');
  t.is(fails(t, () => { fs.parseParam(ctx, { type: 'blob', key: 'delegate_maps' }, hostRoot); }).code, 'EINVAL');
  t.deepEqual(ctx.log, ["e bpf: Bad value for 'delegate_cmds'", "e bpf: Bad value for 'delegate_cmds'", "e bpf: Bad value for 'delegate_maps'"]);
});

test('a bad delegate element is EINVAL without a log line', (t) => {
  const { fs, ctx } = setup();
  t.is(fails(t, () => { fs.parseParam(ctx, str('delegate_maps', 'hash:'), hostRoot); }).code, 'EINVAL');
  t.is(fails(t, () => { fs.parseParam(ctx, str('delegate_cmds', 'BPF_MAP_CREATE'), hostRoot); }).code, 'EINVAL');
  t.is(fails(t, () => { fs.parseParam(ctx, str('delegate_cmds', '0x10000000000000000'), hostRoot); }).code, 'ERANGE');
  t.deepEqual(ctx.log, []);
});

test('repeated delegate options OR into the stored mask', (t) => {
  const { fs, ctx } = setup();
  fs.parseParam(ctx, str('delegate_cmds', 'map_create'), hostRoot);
  fs.parseParam(ctx, str('delegate_cmds', 'prog_load'), hostRoot);
  fs.parseParam(ctx, str('delegate_maps', 'hash:0x4'), hostRoot);
  const sb = fs.getTree(ctx, hostRoot);
  t.deepEqual(delegateMasksOf(sb), { cmds: 0x21n, maps: 0x4n, progs: 0n, attachs: 0n });
  t.deepEqual(fs.delegateMasks(sb), { cmds: 0x21n, maps: 0x4n, progs: 0n, attachs: 0n });
});

test('a nonzero delegate mask needs CAP_SYS_ADMIN in the init userns of the fsconfig caller', (t) => {
  const { fs, ctx } = setup();
  t.is(fails(t, () => { fs.parseParam(ctx, str('delegate_cmds', '0x1'), containerRoot); }).code, 'EPERM');
  t.is(fails(t, () => { fs.parseParam(ctx, str('delegate_maps', 'any'), containerRoot); }).code, 'EPERM');
  t.is(fails(t, () => { fs.parseParam(ctx, str('delegate_cmds', 'any'), hostNoSysAdmin); }).code, 'EPERM');
  fs.parseParam(ctx, str('delegate_cmds', 'map_create'), hostRoot);
});

test('a delegate mask of 0 is allowed to anyone', (t) => {
  const { fs, ctx } = setup();
  fs.parseParam(ctx, str('delegate_cmds', '0'), containerRoot);
  // A name followed by a number 0 also ends up 0: the number replaces it.
  fs.parseParam(ctx, str('delegate_maps', 'hash:0'), containerRoot);
  t.is(fs.delegateMasks(fs.getTree(ctx, hostRoot))?.maps, 0n);
});

test('the value is parsed before the capability check', (t) => {
  const { fs, ctx } = setup();
  t.is(fails(t, () => { fs.parseParam(ctx, str('delegate_cmds', 'nosuch'), containerRoot); }).code, 'EINVAL');
});

test("uid/gid are read in the caller's userns and must map into the fs_context userns", (t) => {
  const { fs, ctx } = setup();
  t.is(fails(t, () => { fs.parseParam(ctx, str('uid', '0'), hostRoot); }).code, 'EINVAL');
  t.deepEqual(ctx.log, ["e bpf: Bad value for 'uid'"]);
  fs.parseParam(ctx, str('uid', '100005'), hostRoot);
  fs.parseParam(ctx, str('gid', '7'), containerRoot);
  fs.parseParam(ctx, str('mode', '0750'), hostRoot);
  fs.parseParam(ctx, str('delegate_cmds', 'map_create'), hostRoot);
  const sb = fs.getTree(ctx, hostRoot);
  t.is(fs.showOptions(sb), ',uid=100005,gid=100007,mode=750,delegate_cmds=map_create');
});

test('uid/gid take base-0 u32 numbers; flags, empty strings and overflow are bad values', (t) => {
  const { fs, ctx } = setup(hostRoot);
  fs.parseParam(ctx, str('uid', '0x10'), hostRoot);
  t.is(fs.mountOptions(fs.getTree(ctx, hostRoot))?.uid, 16);
  const b = setup(hostRoot);
  for (const p of [str('uid', ''), str('uid', '4294967296'), str('gid', '4294967295'), { type: 'flag', key: 'uid' } as const]) {
    t.is(fails(t, () => { b.fs.parseParam(b.ctx, p, hostRoot); }).code, 'EINVAL');
  }
  t.is(b.ctx.log.length, 4);
});

test('mode= is octal and keeps the S_IALLUGO bits', (t) => {
  const { fs, ctx } = setup(hostRoot);
  t.is(fails(t, () => { fs.parseParam(ctx, str('mode', '0x10'), hostRoot); }).code, 'EINVAL');
  t.is(fails(t, () => { fs.parseParam(ctx, str('mode', '8'), hostRoot); }).code, 'EINVAL');
  t.deepEqual(ctx.log, ["e bpf: Bad value for 'mode'", "e bpf: Bad value for 'mode'"]);
  fs.parseParam(ctx, str('mode', '17777'), hostRoot);
  t.is(fs.mountOptions(fs.getTree(ctx, hostRoot))?.mode, 0o7777);
});

test('the root directory always gets the sticky bit, which show_options hides', (t) => {
  const { fs, ctx } = setup(hostRoot);
  const sb = fs.getTree(ctx, hostRoot);
  t.is(sb.root.mode, 0o1777);
  t.is(fs.showOptions(sb), '');
  const b = setup(hostRoot);
  b.fs.parseParam(b.ctx, str('mode', '4700'), hostRoot);
  const sb2 = b.fs.getTree(b.ctx, hostRoot);
  t.is(sb2.root.mode, 0o5700);
  t.is(b.fs.showOptions(sb2), ',mode=4700');
});

test("uid/gid default to the fsopen caller's fsuid/fsgid and show as init-ns ids", (t) => {
  const { fs, ctx } = setup();
  const sb = fs.getTree(ctx, hostRoot);
  t.is(sb.root.uid, 100000);
  t.is(fs.showOptions(sb), ',uid=100000,gid=100000');
});

test('s_user_ns is the fs_context userns', (t) => {
  const { fs, ctx } = setup();
  t.is(fs.getTree(ctx, hostRoot).userNs, container);
});

test('a bpffs outside the init userns needs a creator capable of CAP_SYS_ADMIN in init', (t) => {
  const { fs, ctx } = setup();
  t.is(fails(t, () => fs.getTree(ctx, containerRoot)).code, 'EPERM');
  const b = setup();
  t.is(fails(t, () => b.fs.getTree(b.ctx, hostNoSysAdmin)).code, 'EPERM');
  const c = setup(hostRoot);
  t.is(c.fs.getTree(c.ctx, hostNoSysAdmin).userNs, initNs);
});

test('show_options prints any, aliases by first name and hides unknown bits', (t) => {
  const { fs, ctx } = setup();
  fs.parseParam(ctx, str('delegate_cmds', '0x8000000000000000'), hostRoot);
  fs.parseParam(ctx, str('delegate_maps', 'cgroup_storage'), hostRoot);
  fs.parseParam(ctx, str('delegate_progs', '0x1ffffffff'), hostRoot);
  fs.parseParam(ctx, str('delegate_attachs', 'any'), hostRoot);
  const sb = fs.getTree(ctx, hostRoot);
  t.is(fs.showOptions(sb), ',uid=100000,gid=100000,delegate_maps=cgroup_storage_deprecated,delegate_progs=any,delegate_attachs=any');
  t.is(fs.delegateMasks(sb)?.cmds, 1n << 63n);
});

test('bpffs has no reconfigure op', (t) => {
  t.is(createBpfFs({ userNamespaces, capabilities }).reconfigure, undefined);
});

test('a superblock keeps the options it was created with', (t) => {
  const { fs, ctx } = setup();
  fs.parseParam(ctx, str('delegate_cmds', 'map_create'), hostRoot);
  const sb = fs.getTree(ctx, hostRoot);
  fs.parseParam(ctx, str('delegate_cmds', 'any'), hostRoot);
  t.is(fs.delegateMasks(sb)?.cmds, 1n);
});

test('parseParam on a context bpffs did not set up is EINVAL', (t) => {
  const fs = createBpfFs({ userNamespaces, capabilities });
  const ctx: FsContext = { fsType: fs, purpose: 'new', userNs: initNs, cred: hostRoot, superblock: undefined, fsPrivate: undefined, log: [] };
  t.is(fails(t, () => { fs.parseParam(ctx, str('uid', '0'), hostRoot); }).code, 'EINVAL');
});

test('createBpfFs rejects unknown dependencies', (t) => {
  t.throws(() => createBpfFs({ userNamespaces, capabilities, extra: 1 } as never), { instanceOf: TypeError });
});

test('delegate masks of a foreign superblock are undefined', (t) => {
  const noop = makeNoopBpfFs();
  const ctx: FsContext = { fsType: noop, purpose: 'new', userNs: initNs, cred: hostRoot, superblock: undefined, fsPrivate: undefined, log: [] };
  const sb = noop.getTree(ctx, hostRoot);
  t.is(delegateMasksOf(sb), undefined);
  t.deepEqual(noop.delegateMasks(sb), { cmds: 0n, maps: 0n, progs: 0n, attachs: 0n });
  noop.inodeOps.permission(sb.root, hostRoot, MAY_ACCESS);
});

test('makeNoopBpfFs takes the methods a test overrides', (t) => {
  const fs = makeNoopBpfFs({ showOptions: () => ',delegate_cmds=any' });
  t.is(fs.showOptions(undefined as never), ',delegate_cmds=any');
});
