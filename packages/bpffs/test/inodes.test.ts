import test from 'ava';
import { BpfError, MAY_ACCESS, MAY_EXEC, MAY_READ, MAY_WRITE, type BpfFs, type Credentials, type FsContext, type SuperBlock } from '@bpfkit/kernel-api';
import { Capability } from '@bpfkit/uapi';
import { createBpfFs } from '@bpfkit/bpffs';
import { makeNoopBpfFs } from '@bpfkit/bpffs/testing';
import { capabilities, childNs, cred, hostRoot, initNs, userNamespaces } from './support/world.js';

const user1000 = cred(initNs, 1000, 0n);
const user1001 = cred(initNs, 1001, 0n);
const drop = (c: Credentials, ...caps: number[]): Credentials => ({
  ...c,
  effective: caps.reduce((e, cap) => e & ~(1n << BigInt(cap)), c.effective),
});

function mount(mode = '777', opener: Credentials = hostRoot): { fs: BpfFs; sb: SuperBlock } {
  const fs = createBpfFs({ userNamespaces, capabilities });
  const ctx: FsContext = { fsType: fs, purpose: 'new', userNs: opener.userNs, cred: opener, superblock: undefined, fsPrivate: undefined, log: [] };
  fs.initFsContext(ctx);
  fs.parseParam(ctx, { type: 'string', key: 'mode', value: mode }, hostRoot);
  return { fs, sb: fs.getTree(ctx, hostRoot) };
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof BpfError) return e.code;
    throw e;
  }
}

test('mkdir creates a directory owned by the caller with the given mode', (t) => {
  const { fs, sb } = mount();
  const d = fs.inodeOps.mkdir(sb.root, 'sub', 0o755, user1000);
  t.like(d, { kind: 'dir', mode: 0o755, uid: 1000, gid: 1000 });
  t.is(fs.inodeOps.lookup(sb.root, 'sub'), d);
  t.is(code(() => fs.inodeOps.mkdir(sb.root, 'sub', 0o755, user1000)), 'EEXIST');
});

test('a new entry in a setgid directory takes its group, and a directory keeps S_ISGID', (t) => {
  const { fs, sb } = mount();
  const g = fs.inodeOps.mkdir(sb.root, 'g', 0o2777, hostRoot);
  // mkdir(2) itself drops S_ISGID from the mode; chmod sets it.
  t.is(g.mode, 0o777);
  g.mode = 0o2777;
  const d = fs.inodeOps.mkdir(g, 'd', 0o755, user1000);
  t.like(d, { gid: 0, mode: 0o2755 });
  t.like(fs.pin(g, 'm', 'map', {}, user1000, 0o022), { gid: 0, mode: 0o600 });
});

test('a missing name with a dot is EPERM, an existing one is found', (t) => {
  const { fs, sb } = mount();
  t.is(code(() => fs.inodeOps.lookup(sb.root, 'a.b')), 'EPERM');
  t.is(code(() => fs.inodeOps.mkdir(sb.root, 'a.b', 0o755, hostRoot)), 'EPERM');
  t.is(code(() => fs.pin(sb.root, 'x.y', 'map', {}, hostRoot, 0)), 'EPERM');
  t.is(fs.inodeOps.lookup(sb.root, 'nothing'), undefined);
});

test('pin makes a 0600 & ~umask inode holding the object; objGet returns it', (t) => {
  const { fs, sb } = mount();
  const obj = { map: 1 };
  const inode = fs.pin(sb.root, 'm', 'map', obj, user1000, 0o077);
  t.like(inode, { kind: 'map', mode: 0o600, uid: 1000 });
  t.deepEqual(fs.objGet(inode, user1000, MAY_READ | MAY_WRITE), { kind: 'map', object: obj });
  t.like(fs.pin(sb.root, 'p', 'prog', {}, user1000, 0o277), { mode: 0o400 });
});

test('objGet checks permission, then EACCES for an inode without an object', (t) => {
  const { fs, sb } = mount();
  const inode = fs.pin(sb.root, 'm', 'map', {}, user1000, 0o022);
  t.is(code(() => fs.objGet(inode, user1001, MAY_READ)), 'EACCES');
  const d = fs.inodeOps.mkdir(sb.root, 'd', 0o777, hostRoot);
  t.is(code(() => fs.objGet(d, hostRoot, MAY_READ)), 'EACCES');
});

test('pinning outside a bpffs directory is EPERM', (t) => {
  const { fs } = mount();
  const other = makeNoopBpfFs({ name: 'bpf' });
  const ctx: FsContext = { fsType: other, purpose: 'new', userNs: initNs, cred: hostRoot, superblock: undefined, fsPrivate: undefined, log: [] };
  t.is(code(() => fs.pin(other.getTree(ctx, hostRoot).root, 'm', 'map', {}, hostRoot, 0)), 'EPERM');
});

test('creating needs write and search on the directory', (t) => {
  const { fs, sb } = mount('755');
  t.is(code(() => fs.inodeOps.mkdir(sb.root, 'd', 0o755, user1000)), 'EACCES');
  t.is(code(() => fs.pin(sb.root, 'm', 'map', {}, user1000, 0)), 'EACCES');
  t.notThrows(() => fs.pin(sb.root, 'm', 'map', {}, hostRoot, 0));
});

test("creating is EOVERFLOW when the caller's ids do not map into the bpffs userns", (t) => {
  const container = childNs(initNs, 0);
  const { fs, sb } = mount('777', cred(container, 100000));
  t.is(code(() => fs.inodeOps.mkdir(sb.root, 'd', 0o755, user1000)), 'EOVERFLOW');
});

test('owner bits apply to the owner, group bits to the group, other bits to the rest', (t) => {
  const { fs, sb } = mount();
  const f = fs.pin(sb.root, 'f', 'map', {}, user1000, 0);
  f.mode = 0o640;
  f.gid = 1001;
  t.is(code(() => { fs.inodeOps.permission(f, user1000, MAY_READ | MAY_WRITE); }), undefined);
  t.is(code(() => { fs.inodeOps.permission(f, user1001, MAY_READ); }), undefined);
  t.is(code(() => { fs.inodeOps.permission(f, user1001, MAY_WRITE); }), 'EACCES');
  t.is(code(() => { fs.inodeOps.permission(f, cred(initNs, 1002, 0n), MAY_READ); }), 'EACCES');
  f.mode = 0o064;
  t.is(code(() => { fs.inodeOps.permission(f, user1000, MAY_READ); }), 'EACCES');
});

test('MAY_ACCESS alone passes even with mode 0', (t) => {
  const { fs, sb } = mount('0');
  t.is(code(() => { fs.inodeOps.permission(sb.root, user1000, MAY_ACCESS); }), undefined);
  t.is(code(() => { fs.inodeOps.permission(sb.root, user1000, MAY_EXEC); }), 'EACCES');
});

test('CAP_DAC_READ_SEARCH reads files and searches directories; CAP_DAC_OVERRIDE does the rest', (t) => {
  const { fs, sb } = mount('0');
  const f = fs.pin(sb.root, 'f', 'map', {}, hostRoot, 0o777);
  const readSearchOnly = drop(hostRoot, Capability.CAP_DAC_OVERRIDE);
  t.is(code(() => { fs.inodeOps.permission(f, readSearchOnly, MAY_READ); }), undefined);
  t.is(code(() => { fs.inodeOps.permission(f, readSearchOnly, MAY_WRITE); }), 'EACCES');
  t.is(code(() => { fs.inodeOps.permission(sb.root, readSearchOnly, MAY_READ | MAY_EXEC); }), undefined);
  t.is(code(() => { fs.inodeOps.permission(sb.root, readSearchOnly, MAY_WRITE); }), 'EACCES');
  const overrideOnly = drop(hostRoot, Capability.CAP_DAC_READ_SEARCH);
  t.is(code(() => { fs.inodeOps.permission(f, overrideOnly, MAY_READ | MAY_WRITE); }), undefined);
  t.is(code(() => { fs.inodeOps.permission(sb.root, overrideOnly, MAY_WRITE | MAY_EXEC); }), undefined);
});

test('CAP_DAC_OVERRIDE grants exec only when some exec bit is set', (t) => {
  const { fs, sb } = mount();
  const f = fs.pin(sb.root, 'f', 'prog', {}, user1000, 0);
  t.is(code(() => { fs.inodeOps.permission(f, hostRoot, MAY_EXEC); }), 'EACCES');
  f.mode = 0o100;
  t.is(code(() => { fs.inodeOps.permission(f, hostRoot, MAY_EXEC); }), undefined);
});

test("DAC overrides count in the caller's userns only, with the inode's ids mapped there", (t) => {
  const container = childNs(initNs, 0);
  const { fs, sb } = mount('0', cred(container, 100000));
  const croot = cred(container, 100000);
  t.is(code(() => { fs.inodeOps.permission(sb.root, croot, MAY_WRITE); }), undefined);
  const hostOwned = fs.pin(sb.root, 'h', 'map', {}, croot, 0);
  // As if the host had chowned it to its own root, which the container cannot see.
  hostOwned.uid = 0;
  hostOwned.mode = 0;
  t.is(code(() => { fs.inodeOps.permission(hostOwned, croot, MAY_READ); }), 'EACCES');
});

test('unlink in the sticky root is refused for other users’ pins', (t) => {
  const { fs, sb } = mount();
  fs.pin(sb.root, 'mine', 'map', {}, user1000, 0);
  t.is(code(() => { fs.inodeOps.unlink(sb.root, 'mine', user1001); }), 'EPERM');
  const otherAdmin = cred(initNs, 1002);
  t.is(code(() => { fs.inodeOps.unlink(sb.root, 'mine', drop(otherAdmin, Capability.CAP_FOWNER)); }), 'EPERM');
  fs.pin(sb.root, 'mine2', 'map', {}, user1000, 0);
  t.is(code(() => { fs.inodeOps.unlink(sb.root, 'mine2', otherAdmin); }), undefined);
  t.is(code(() => { fs.inodeOps.unlink(sb.root, 'mine', user1000); }), undefined);
  t.is(fs.inodeOps.lookup(sb.root, 'mine'), undefined);
  t.is(code(() => { fs.inodeOps.unlink(sb.root, 'mine', user1000); }), 'ENOENT');
});

test('unlink needs write on the directory; a directory is EISDIR', (t) => {
  const { fs, sb } = mount();
  const d = fs.inodeOps.mkdir(sb.root, 'd', 0o755, hostRoot);
  fs.pin(d, 'm', 'map', {}, hostRoot, 0);
  t.is(code(() => { fs.inodeOps.unlink(d, 'm', user1000); }), 'EACCES');
  t.is(code(() => { fs.inodeOps.unlink(sb.root, 'd', hostRoot); }), 'EISDIR');
});

test('rmdir refuses files and non-empty directories', (t) => {
  const { fs, sb } = mount();
  const d = fs.inodeOps.mkdir(sb.root, 'd', 0o755, hostRoot);
  fs.pin(d, 'm', 'map', {}, hostRoot, 0);
  t.is(code(() => { fs.inodeOps.rmdir(sb.root, 'd', hostRoot); }), 'ENOTEMPTY');
  t.is(code(() => { fs.inodeOps.rmdir(d, 'm', hostRoot); }), 'ENOTDIR');
  fs.inodeOps.unlink(d, 'm', hostRoot);
  fs.inodeOps.rmdir(sb.root, 'd', hostRoot);
  t.is(fs.inodeOps.lookup(sb.root, 'd'), undefined);
});

test('operations on a non-directory are ENOTDIR', (t) => {
  const { fs, sb } = mount();
  const f = fs.pin(sb.root, 'f', 'map', {}, hostRoot, 0);
  t.is(code(() => fs.inodeOps.lookup(f, 'x')), 'ENOTDIR');
  t.is(code(() => fs.inodeOps.mkdir(f, 'x', 0o755, hostRoot)), 'ENOTDIR');
});
