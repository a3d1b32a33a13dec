import test from 'ava';
import { isBpfError, type Kernel, type Task } from '@bpfkit/kernel-api';
import { delegatedBpffs, type DelegateOptions } from '@bpfkit/testing';
import { BpfObject, BPF_FS_DEFAULT_PATH, prepareToken, resolveTokenPath } from '@bpfkit/libbpf';
import { fixture, packet, simKernel } from './helpers.js';

const MOVE_MOUNT_F_EMPTY_PATH = 4;
const AT_FDCWD = -100;

/** A container whose bpffs (delegating `delegate`) is mounted at `path` in its mount namespace. */
function container(k: Kernel, delegate: DelegateOptions, path: string): Task {
  let dir = '';
  for (const part of path.split('/').filter((p) => p !== '')) {
    dir += `/${part}`;
    try {
      k.init.mkdir(dir, 0o755);
    } catch (e) {
      if (!isBpfError(e, 'EEXIST')) throw e;
    }
  }
  const d = delegatedBpffs(k, { delegate });
  d.child.moveMount(d.mountFd, '', AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH);
  return d.child;
}

const ALL: DelegateOptions = { cmds: 'any', maps: 'any', progs: 'any', attachs: 'any' };

test('token path: option, then LIBBPF_BPF_TOKEN_PATH, then /sys/fs/bpf; empty disables', (t) => {
  t.deepEqual(resolveTokenPath({}), { path: BPF_FS_DEFAULT_PATH, mandatory: false });
  t.deepEqual(resolveTokenPath({ env: { LIBBPF_BPF_TOKEN_PATH: '/x' } }), { path: '/x', mandatory: true });
  t.deepEqual(resolveTokenPath({ tokenPath: '/y', env: { LIBBPF_BPF_TOKEN_PATH: '/x' } }), { path: '/y', mandatory: true });
  t.deepEqual(resolveTokenPath({ tokenPath: '', env: { LIBBPF_BPF_TOKEN_PATH: '/x' } }), { path: undefined, mandatory: true });
  t.deepEqual(resolveTokenPath({ env: { LIBBPF_BPF_TOKEN_PATH: '' } }), { path: undefined, mandatory: true });
});

test('default path: no bpffs there is silent (root loads without a token)', (t) => {
  const k = simKernel();
  const before = k.init.fdTable.size;
  t.is(prepareToken(k.init, resolveTokenPath({})), undefined);
  const obj = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host: k.init });
  obj.load();
  t.is(obj.tokenFd, undefined);
  obj.close();
  t.is(k.init.fdTable.size, before);
});

test('an explicit path that does not exist is an error', (t) => {
  const k = simKernel();
  const obj = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host: k.init, tokenPath: '/nonexistent' });
  const e = t.throws(() => {
    obj.load();
  });
  t.true(isBpfError(e, 'ENOENT'));
  t.regex(e?.message ?? '', /BPF token path '\/nonexistent'/);
});

test('default path on a bpffs without delegation: silent, the load fails on privileges instead', (t) => {
  const k = simKernel();
  const child = container(k, {}, BPF_FS_DEFAULT_PATH);
  t.is(prepareToken(child, resolveTokenPath({})), undefined);
  const obj = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host: child });
  t.true(isBpfError(t.throws(() => {
    obj.load();
  }), 'EPERM'));
  const explicit = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host: child, tokenPath: BPF_FS_DEFAULT_PATH });
  t.true(isBpfError(t.throws(() => {
    explicit.load();
  }), 'ENOENT'));
});

test('a delegated bpffs: the container loads and runs the object through the token', (t) => {
  const k = simKernel();
  const child = container(k, ALL, '/run/bpf');
  const before = child.fdTable.size;
  const noToken = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host: child, tokenPath: '' });
  t.true(isBpfError(t.throws(() => {
    noToken.load();
  }), 'EPERM'));
  const obj = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host: child, env: { LIBBPF_BPF_TOKEN_PATH: '/run/bpf' } });
  obj.load();
  t.not(obj.tokenFd, undefined);
  t.true(obj.loadReport?.btfLoaded);
  t.is(obj.program('xdp_filter').testRun({ dataIn: packet() }).retval, 2);
  obj.close();
  t.is(child.fdTable.size, before);
});

test('a bpffs delegating maps but not XDP programs: the program load is refused', (t) => {
  const k = simKernel();
  const child = container(k, { cmds: 'map_create:prog_load:btf_load', maps: 'any', progs: 'socket_filter', attachs: 'any' }, '/run/bpf');
  const obj = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host: child, tokenPath: '/run/bpf' });
  const e = t.throws(() => {
    obj.load();
  });
  t.true(isBpfError(e, 'EPERM'));
  t.is(obj.loadReport?.failedProgram, 'xdp_filter');
  const sf = BpfObject.open(fixture('socket_filter'), { name: 'socket_filter', host: child, tokenPath: '/run/bpf' });
  sf.load();
  t.is(sf.program('keep_head').testRun({ dataIn: packet(100) }).retval, 64);
  sf.close();
});

test('a token that does not allow BTF_LOAD: the BTF is dropped and the object loads without it, as libbpf does', (t) => {
  const k = simKernel();
  const child = container(k, { cmds: 'map_create:prog_load', maps: 'any', progs: 'any', attachs: 'any' }, '/run/bpf');
  const obj = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host: child, tokenPath: '/run/bpf' });
  obj.load();
  t.false(obj.loadReport?.btfLoaded);
  t.regex(obj.loadReport?.btfError ?? '', /^EPERM/);
  t.is(obj.map('counts').info().btfId, 0);
  t.is(obj.program('xdp_filter').testRun({ dataIn: packet() }).retval, 2);
  obj.close();
});
