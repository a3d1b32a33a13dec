// mount(2) with MS_MOVE, against what Linux 6.18 answered on this machine (a C probe in a private
// mount namespace: ENOENT for a missing source, EINVAL for no source, a non-mount source or a
// directory onto a non-directory, ELOOP for a move into the moved mount, the mount and the mounts
// below it moved otherwise, with per-mount flags, fstype and data ignored). The namespace root
// (no parent mount) is EINVAL by do_move_mount's order; the probe's / had a parent, so ELOOP there.
import test from 'ava';
import { BpfError, CLONE_NEWNS, MS_BIND, MS_MOVE, MS_PRIVATE, MS_RDONLY, O_PATH, type Kernel, type Task } from '@bpfkit/kernel-api';
import { BpfCmd, BpfMapType, encodeAttr } from '@bpfkit/uapi';
import { boot, mapAttr } from './helpers.js';

const MS_NOSUID = 2;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof BpfError) return e.code;
    throw e;
  }
}

/** init with a bpffs on /a, empty directories /b, /c and /plain. */
function scene(): { k: Kernel; init: Task } {
  const k = boot();
  const init = k.init;
  for (const d of ['/a', '/b', '/c', '/plain']) init.mkdir(d);
  init.mount('bpf', '/a', 'bpf', 0, null);
  return { k, init };
}

const exists = (task: Task, path: string): boolean => code(() => { task.close(task.open(path, O_PATH)); }) === undefined;

const mountsAt = (task: Task, path: string) => task.mountinfo().filter((m) => m.mountPoint === path);

function pinMap(task: Task, path: string): void {
  const map = task.bpf(BpfCmd.BPF_MAP_CREATE, mapAttr(BpfMapType.BPF_MAP_TYPE_HASH));
  task.bpf(BpfCmd.BPF_OBJ_PIN, encodeAttr(BpfCmd.BPF_OBJ_PIN, { pathname: task.memory.alloc(new TextEncoder().encode(`${path}\0`)), bpf_fd: map }));
  task.close(map);
}

test('MS_MOVE of a path that does not exist is ENOENT, and mounts nothing (even with fstype bpf)', (t) => {
  const { init } = scene();
  const before = init.mountinfo();
  t.is(code(() => { init.mount('/nonexistent', '/b', 'bpf', MS_MOVE, null); }), 'ENOENT');
  t.is(code(() => { init.mount('/nonexistent', '/b', null, MS_MOVE, null); }), 'ENOENT');
  t.deepEqual(init.mountinfo(), before);
});

test('MS_MOVE without a source, or of a directory that is not a mount, is EINVAL', (t) => {
  const { init } = scene();
  const before = init.mountinfo();
  t.is(code(() => { init.mount(null, '/b', 'bpf', MS_MOVE, null); }), 'EINVAL');
  t.is(code(() => { init.mount('', '/b', 'bpf', MS_MOVE, null); }), 'EINVAL');
  t.is(code(() => { init.mount('/plain', '/b', 'bpf', MS_MOVE, null); }), 'EINVAL');
  init.mkdir('/a/sub');
  t.is(code(() => { init.mount('/a/sub', '/b', null, MS_MOVE, null); }), 'EINVAL', 'a directory inside a mount is not its root');
  t.deepEqual(init.mountinfo(), before);
});

test('MS_MOVE onto a target that does not exist is ENOENT', (t) => {
  const { init } = scene();
  t.is(code(() => { init.mount('/a', '/nonexistent', null, MS_MOVE, null); }), 'ENOENT');
});

test('MS_MOVE into the moved mount itself is ELOOP; a directory mount onto a non-directory is EINVAL', (t) => {
  const { init } = scene();
  init.mkdir('/a/sub');
  t.is(code(() => { init.mount('/a', '/a', null, MS_MOVE, null); }), 'ELOOP');
  t.is(code(() => { init.mount('/a', '/a/sub', null, MS_MOVE, null); }), 'ELOOP');
  init.mkdir('/b2');
  init.mount('bpf', '/b2', 'bpf', 0, null);
  pinMap(init, '/b2/m');
  t.is(code(() => { init.mount('/a', '/b2/m', null, MS_MOVE, null); }), 'EINVAL');
  t.is(mountsAt(init, '/a').length, 1, 'nothing moved');
});

test('MS_MOVE moves the mount: the old place is a plain directory again, the same bpffs shows at the new one', (t) => {
  const { init } = scene();
  pinMap(init, '/a/m');
  const [before] = mountsAt(init, '/a');
  // fstype, data and per-mount flags play no part in a move (mountinfo stays rw on 6.18).
  init.mount('/a', '/b', 'bpf', MS_MOVE | MS_RDONLY | MS_NOSUID, 'delegate_cmds=any');
  t.deepEqual(mountsAt(init, '/a'), []);
  const [after] = mountsAt(init, '/b');
  t.truthy(after);
  t.is(after?.mountId, before?.mountId, 'the same mount, not a new one');
  t.is(after?.mountOptions, before?.mountOptions);
  t.is(after?.superOptions, before?.superOptions);
  t.true(exists(init, '/b/m'), 'the pin moved with it');
  t.false(exists(init, '/a/m'));
});

test('MS_MOVE takes the mounts below along, with their new paths; a copied namespace keeps the tree', (t) => {
  const { init } = scene();
  init.mkdir('/a/sub');
  init.mount('bpf', '/a/sub', 'bpf', 0, null);
  pinMap(init, '/a/sub/m');
  init.mount('/a', '/plain', null, MS_MOVE, null);
  t.deepEqual(mountsAt(init, '/a/sub'), []);
  const [top] = mountsAt(init, '/plain');
  const [below] = mountsAt(init, '/plain/sub');
  t.is(below?.parentId, top?.mountId);
  t.true(exists(init, '/plain/sub/m'));
  // A mount moved under a newer one is listed before its parent: unshare(CLONE_NEWNS) must still copy the tree.
  init.mkdir('/c/x');
  init.mount('bpf', '/c/x', 'bpf', 0, null);
  init.mkdir('/c/x/in');
  init.mount('/plain', '/c/x/in', null, MS_MOVE, null);
  const child = init.fork();
  child.unshare(CLONE_NEWNS);
  t.true(exists(child, '/c/x/in/sub/m'));
  t.deepEqual(
    child.mountinfo().map((m) => m.mountPoint).filter((p) => p.startsWith('/c')).sort(),
    ['/c/x', '/c/x/in', '/c/x/in/sub'],
  );
});

test('MS_MOVE | MS_BIND is a bind mount; MS_MOVE | MS_PRIVATE is EINVAL', (t) => {
  const { init } = scene();
  t.is(code(() => { init.mount('/a', '/c', null, MS_MOVE | MS_PRIVATE, null); }), 'EINVAL');
  init.mount('/a', '/b', null, MS_MOVE | MS_BIND, null);
  t.is(mountsAt(init, '/a').length, 1, 'the source stays');
  t.is(mountsAt(init, '/b').length, 1, 'and a bind of it is made');
});

test('MS_MOVE of the namespace root is EINVAL; moving needs CAP_SYS_ADMIN over the mount namespace', (t) => {
  const { k, init } = scene();
  t.is(code(() => { init.mount('/', '/b', null, MS_MOVE, null); }), 'EINVAL');
  const user = k.init.fork();
  user.setresuid(1000, 1000, 1000);
  t.is(code(() => { user.mount('/a', '/b', null, MS_MOVE, null); }), 'EPERM');
});
