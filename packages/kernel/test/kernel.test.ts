import test from 'ava';
import { AT_FDCWD, BpfError, CLONE_NEWNS, CLONE_NEWUSER, FD_CLOEXEC, O_PATH, type Kernel, type Task } from '@bpfkit/kernel-api';
import { createKernel, createUserMemory, seededRandom, systemClock } from '@bpfkit/kernel';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { BpfCmd, BpfMapType, encodeAttr } from '@bpfkit/uapi';
import { boot, container, delegated, fullAttr, mapAttr, tokenAttr } from './helpers.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof BpfError) return e.code;
    throw e;
  }
}

/** Runs `fn`, expects `errno`, and checks that no object, file or fd was left behind. */
function failsClean(t: { is: (a: unknown, b: unknown, m?: string) => void; deepEqual: (a: unknown, b: unknown, m?: string) => void }, kernel: Kernel, errno: string, fn: () => unknown): void {
  const before = kernel.counts();
  t.is(code(fn), errno);
  t.deepEqual(kernel.counts(), before, 'a failing call left something behind');
}

test('the init task is root in the initial user namespace with every capability', (t) => {
  const k = boot();
  t.deepEqual(k.init.whoami(), { resuid: [0, 0, 0], resgid: [0, 0, 0], cap_eff: '0x1ffffffffff', cap_prm: '0x1ffffffffff' });
});

test('unshare(CLONE_NEWUSER) gives every capability in the new namespace; ids read as 65534 until mapped', (t) => {
  const k = boot();
  const c = k.init.fork();
  c.unshare(CLONE_NEWUSER);
  t.deepEqual(c.whoami().resuid, [65534, 65534, 65534]);
  t.is(c.whoami().cap_eff, '0x1ffffffffff');
});

test('a container maps root to 100000 and sees itself as root', (t) => {
  const k = boot();
  const c = container(k);
  t.deepEqual(c.whoami(), { resuid: [0, 0, 0], resgid: [0, 0, 0], cap_eff: '0x1ffffffffff', cap_prm: '0x1ffffffffff' });
  t.is(k.init.readFile(`/proc/${c.pid}/uid_map`).trim().split(/\s+/).join(' '), '0 100000 65536');
});

test('setresuid away from root drops every capability', (t) => {
  const k = boot();
  const u = k.init.fork();
  u.setresgid(1000, 1000, 1000);
  u.setresuid(1000, 1000, 1000);
  t.deepEqual(u.whoami(), { resuid: [1000, 1000, 1000], resgid: [1000, 1000, 1000], cap_eff: '0x0', cap_prm: '0x0' });
});

test('unshare(CLONE_NEWNS) needs CAP_SYS_ADMIN in the current user namespace', (t) => {
  const k = boot();
  const u = k.init.fork();
  u.setresuid(1000, 1000, 1000);
  t.is(code(() => { u.unshare(CLONE_NEWNS); }), 'EPERM');
});

test('fsopen needs CAP_SYS_ADMIN over the mount namespace owner', (t) => {
  const k = boot();
  const c = k.init.fork();
  c.unshare(CLONE_NEWUSER);
  failsClean(t, k, 'EPERM', () => c.fsopen('bpf'));
  const own = container(k);
  t.true(own.fsopen('bpf') >= 0);
});

test('fsopen of an unknown file system type is ENODEV', (t) => {
  const k = boot();
  failsClean(t, k, 'ENODEV', () => k.init.fsopen('nosuchfs'));
});

test('fds are the lowest free numbers and close of a closed fd is EBADF', (t) => {
  const k = boot();
  const a = k.init.open('/proc');
  const b = k.init.open('/proc');
  k.init.close(a);
  t.is(k.init.open('/proc'), a);
  t.true(b > a);
  failsClean(t, k, 'EBADF', () => { k.init.close(999); });
});

test('SCM_RIGHTS passes a dup: closing the sender keeps the receiver\'s file open', (t) => {
  const k = boot();
  const other = k.init.fork({ fds: 'empty' });
  const fd = k.init.open('/proc');
  const got = k.init.passFd(fd, other);
  k.init.close(fd);
  t.true(other.fstat(got).mode > 0);
  t.is(other.getFdFlags(got), 0);
});

test('fsmount returns an O_PATH fd with O_CLOEXEC when asked; BPF_TOKEN_CREATE refuses it with EBADF', (t) => {
  const k = boot();
  const c = container(k);
  const fs = c.fsopen('bpf');
  const host = k.init.fork({ fds: 'empty' });
  const hfs = c.passFd(fs, host);
  host.fsconfig(hfs, 1, 'delegate_cmds', 'any');
  host.fsconfig(hfs, 6);
  const mnt = host.fsmount(hfs, 1);
  t.is(host.getFdFlags(mnt), FD_CLOEXEC);
  const cm = host.passFd(mnt, c);
  failsClean(t, k, 'EBADF', () => c.bpf(BpfCmd.BPF_TOKEN_CREATE, tokenAttr(cm)));
});

test('a token fd is O_CLOEXEC, mode 0600 and reads as /bpf-token (deleted)', (t) => {
  const k = boot();
  const c = container(k);
  const bpffs = delegated(k, c, { cmds: 'any' });
  const tok = c.bpf(BpfCmd.BPF_TOKEN_CREATE, tokenAttr(bpffs));
  t.is(c.getFdFlags(tok), FD_CLOEXEC);
  t.is(c.fstat(tok).mode, 0o100600);
  t.is(c.readlink(`/proc/self/fd/${tok}`), '/bpf-token (deleted)');
  t.regex(c.readFile(`/proc/self/fdinfo/${tok}`), /allowed_cmds:\tany\nallowed_maps:\t0x0\n/);
});

test('token creation in the initial user namespace is EOPNOTSUPP', (t) => {
  const k = boot();
  k.init.mkdir('/b');
  k.init.mount('bpf', '/b', 'bpf', 0, 'delegate_cmds=any');
  const fd = k.init.open('/b');
  failsClean(t, k, 'EOPNOTSUPP', () => k.init.bpf(BpfCmd.BPF_TOKEN_CREATE, tokenAttr(fd)));
});

test('CHECK_ATTR: a non-zero byte after token_create.bpffs_fd is EINVAL', (t) => {
  const k = boot();
  const attr = fullAttr(tokenAttr(0));
  attr[8] = 1;
  failsClean(t, k, 'EINVAL', () => k.init.bpf(BpfCmd.BPF_TOKEN_CREATE, attr));
});

test('an attr longer than union bpf_attr with a non-zero tail is E2BIG', (t) => {
  const k = boot();
  const attr = new Uint8Array(300);
  attr[250] = 1;
  failsClean(t, k, 'E2BIG', () => k.init.bpf(BpfCmd.BPF_MAP_CREATE, attr));
});

test('an unknown bpf command is EINVAL', (t) => {
  const k = boot();
  failsClean(t, k, 'EINVAL', () => k.init.bpf(1000, new Uint8Array(8)));
});

test('with unprivileged_bpf_disabled=2 a container needs a token for even an array map', (t) => {
  const k = boot();
  const c = container(k);
  const tok = c.bpf(BpfCmd.BPF_TOKEN_CREATE, tokenAttr(delegated(k, c, { cmds: 'any', maps: 'any' })));
  failsClean(t, k, 'EPERM', () => c.bpf(BpfCmd.BPF_MAP_CREATE, mapAttr(BpfMapType.BPF_MAP_TYPE_ARRAY)));
  const before = k.counts().objects;
  const fd = c.bpf(BpfCmd.BPF_MAP_CREATE, mapAttr(BpfMapType.BPF_MAP_TYPE_ARRAY, { token: tok }));
  t.is(k.counts().objects, before + 1);
  c.close(fd);
  t.is(k.counts().objects, before);
});

test('BPF_F_TOKEN_FD with a closed fd is EBADF, with a non-token fd EINVAL', (t) => {
  const k = boot();
  const c = container(k);
  const bpffs = delegated(k, c, { cmds: 'any', maps: 'any' });
  failsClean(t, k, 'EBADF', () => c.bpf(BpfCmd.BPF_MAP_CREATE, mapAttr(1, { token: 77 })));
  failsClean(t, k, 'EINVAL', () => c.bpf(BpfCmd.BPF_MAP_CREATE, mapAttr(1, { token: bpffs })));
});

test('a token survives the close of its bpffs fd', (t) => {
  const k = boot();
  const c = container(k);
  const bpffs = delegated(k, c, { cmds: 'any', maps: 'any' });
  const tok = c.bpf(BpfCmd.BPF_TOKEN_CREATE, tokenAttr(bpffs));
  c.close(bpffs);
  t.true(c.bpf(BpfCmd.BPF_MAP_CREATE, mapAttr(1, { token: tok })) >= 0);
});

test('the sysctl defaults to 2, needs CAP_SYS_ADMIN to write, and 1 is a one-way switch', (t) => {
  const k = boot();
  t.is(k.sysctl('kernel.unprivileged_bpf_disabled'), 2);
  t.is(k.init.readFile('/proc/sys/kernel/unprivileged_bpf_disabled'), '2\n');
  const u = k.init.fork();
  u.setresuid(1000, 1000, 1000);
  t.is(code(() => { u.writeFile('/proc/sys/kernel/unprivileged_bpf_disabled', '0'); }), 'EPERM');
  t.is(code(() => { k.init.writeFile('/proc/sys/kernel/unprivileged_bpf_disabled', '3'); }), 'EINVAL');
  k.init.writeFile('/proc/sys/kernel/unprivileged_bpf_disabled', '1');
  t.is(code(() => { k.setSysctl('kernel.unprivileged_bpf_disabled', 0); }), 'EPERM');
});

test('OBJ_PIN puts a map in bpffs, OBJ_GET opens it again; a token cannot be pinned', (t) => {
  const k = boot();
  k.init.mkdir('/b');
  k.init.mount('bpf', '/b', 'bpf', 0, null);
  const map = k.init.bpf(BpfCmd.BPF_MAP_CREATE, mapAttr(BpfMapType.BPF_MAP_TYPE_HASH));
  const name = k.init.memory.alloc(new TextEncoder().encode('/b/m\0'));
  t.is(k.init.bpf(BpfCmd.BPF_OBJ_PIN, encodeAttr(BpfCmd.BPF_OBJ_PIN, { pathname: name, bpf_fd: map })), 0);
  k.init.close(map);
  t.is(k.counts().byKind['map'], 1, 'the pin keeps the map alive');
  const again = k.init.bpf(BpfCmd.BPF_OBJ_GET, encodeAttr(BpfCmd.BPF_OBJ_GET, { pathname: name }));
  t.true(again >= 0);
  failsClean(t, k, 'EEXIST', () => k.init.bpf(BpfCmd.BPF_OBJ_PIN, encodeAttr(BpfCmd.BPF_OBJ_PIN, { pathname: name, bpf_fd: again })));
  const proc = k.init.open('/proc');
  failsClean(t, k, 'EINVAL', () => k.init.bpf(BpfCmd.BPF_OBJ_PIN, encodeAttr(BpfCmd.BPF_OBJ_PIN, { pathname: name, bpf_fd: proc })));
});

test('BTF_GET_FD_BY_ID finds the vmlinux BTF (id 1) and gives ENOENT for unknown ids', (t) => {
  const k = boot();
  t.true(k.init.bpf(BpfCmd.BPF_BTF_GET_FD_BY_ID, encodeAttr(BpfCmd.BPF_BTF_GET_FD_BY_ID, { btf_id: 1 })) >= 0);
  failsClean(t, k, 'ENOENT', () => k.init.bpf(BpfCmd.BPF_BTF_GET_FD_BY_ID, encodeAttr(BpfCmd.BPF_BTF_GET_FD_BY_ID, { btf_id: 999 })));
});

test('a log level without a buffer is valid; a size without a buffer is EINVAL (bpf_verifier_log_attr_valid)', (t) => {
  const k = boot();
  const lic = k.init.memory.alloc(new TextEncoder().encode('GPL\0'));
  const insns = k.init.memory.alloc(new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]));
  t.true(k.init.bpf(BpfCmd.BPF_PROG_LOAD, encodeAttr(BpfCmd.BPF_PROG_LOAD, { prog_type: 1, insn_cnt: 2, insns, license: lic, log_level: 1 })) >= 0);
  failsClean(t, k, 'EINVAL', () =>
    k.init.bpf(BpfCmd.BPF_PROG_LOAD, encodeAttr(BpfCmd.BPF_PROG_LOAD, { prog_type: 1, insn_cnt: 2, insns, license: lic, log_level: 0, log_size: 64, log_buf: insns })));
});

test('prog_load copies the insns (EFAULT) before it checks the log attributes (EINVAL)', (t) => {
  const k = boot();
  const lic = k.init.memory.alloc(new TextEncoder().encode('GPL\0'));
  const insns = k.init.memory.alloc(new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]));
  failsClean(t, k, 'EINVAL', () =>
    k.init.bpf(BpfCmd.BPF_PROG_LOAD, encodeAttr(BpfCmd.BPF_PROG_LOAD, { prog_type: 1, insn_cnt: 2, insns, license: lic, log_level: 1, log_size: 64 })));
  failsClean(t, k, 'EFAULT', () =>
    k.init.bpf(BpfCmd.BPF_PROG_LOAD, encodeAttr(BpfCmd.BPF_PROG_LOAD, { prog_type: 1, insn_cnt: 2, insns: 0x10n, license: lic, log_level: 1, log_size: 64 })));
  t.true(k.init.bpf(BpfCmd.BPF_PROG_LOAD, encodeAttr(BpfCmd.BPF_PROG_LOAD, { prog_type: 1, insn_cnt: 2, insns, license: lic })) >= 0);
  failsClean(t, k, 'EFAULT', () =>
    k.init.bpf(BpfCmd.BPF_PROG_LOAD, encodeAttr(BpfCmd.BPF_PROG_LOAD, { prog_type: 1, insn_cnt: 2, insns: 0x10n, license: lic })));
});

test('open(O_PATH) fds are ignored by fdget: BTF_LOAD with one as token is EBADF', (t) => {
  const k = boot();
  const p = k.init.open('/proc', O_PATH);
  failsClean(t, k, 'EBADF', () =>
    k.init.bpf(BpfCmd.BPF_BTF_LOAD, encodeAttr(BpfCmd.BPF_BTF_LOAD, { btf_flags: 0x10000, btf_token_fd: p })));
});

test('mountinfo shows a container-owned bpffs with init-ns ids and its delegation', (t) => {
  const k = boot();
  k.init.mkdir('/m');
  const c = container(k);
  const host = k.init.fork({ fds: 'empty' });
  const fs = c.fsopen('bpf');
  const hfs = c.passFd(fs, host);
  host.fsconfig(hfs, 1, 'delegate_cmds', 'map_create');
  host.fsconfig(hfs, 6);
  const mnt = c.fsmount(fs);
  c.moveMount(mnt, '', AT_FDCWD, '/m', 4);
  const e = c.mountinfo().find((x) => x.mountPoint === '/m');
  t.is(e?.superOptions, 'rw,uid=100000,gid=100000,delegate_cmds=map_create');
  t.is(e?.source, 'none');
  t.is(k.init.mountinfo().find((x) => x.mountPoint === '/m'), undefined, 'private to the container\'s mount namespace');
});

test('createKernel takes every subsystem as a dependency', (t) => {
  t.is(typeof createKernel, 'function');
  const mem = createUserMemory();
  const p = mem.alloc(4);
  mem.write(p, new Uint8Array([1, 2, 3, 4]));
  t.deepEqual([...mem.read(p, 4)], [1, 2, 3, 4]);
  t.is(code(() => mem.read(p + 4n, 1)), 'EFAULT');
});

export type { Task };

test('the clock is injected: /proc/uptime counts from boot by it', (t) => {
  let now = 5_000_000_000n;
  const k = createDefaultKernel({ clock: { nowNs: () => now } });
  t.is(k.init.readFile('/proc/uptime'), '0.00 0.00\n');
  now += 1_234_567_890n;
  t.is(k.init.readFile('/proc/uptime'), '1.23 0.00\n');
  const a = systemClock.nowNs();
  t.true(systemClock.nowNs() >= a);
});

test('seededRandom replays: the same seed gives the same u32 sequence', (t) => {
  const draw = (seed: number): number[] => {
    const r = seededRandom(seed);
    return [r.u32(), r.u32(), r.u32()];
  };
  t.deepEqual(draw(7), draw(7));
  t.notDeepEqual(draw(7), draw(8));
  for (const v of draw(1)) t.true(Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
  t.notThrows(() => createDefaultKernel({ random: seededRandom(3) }));
});

/** `unlinkat`/`rmdir`, which the Task contract leaves optional. */
function remove(task: Task, path: string, dir = false): void {
  if (task.unlink === undefined || task.rmdir === undefined) throw new Error('the simulated kernel implements unlink and rmdir');
  if (dir) task.rmdir(path);
  else task.unlink(path);
}

test('unlinking a pin drops the reference it held: the map is freed once no fd holds it either', (t) => {
  const k = boot();
  k.init.mkdir('/b');
  k.init.mount('bpf', '/b', 'bpf', 0, null);
  const before = k.counts();
  const map = k.init.bpf(BpfCmd.BPF_MAP_CREATE, mapAttr(BpfMapType.BPF_MAP_TYPE_HASH));
  const pin = (path: string, fd: number): number =>
    k.init.bpf(BpfCmd.BPF_OBJ_PIN, encodeAttr(BpfCmd.BPF_OBJ_PIN, { pathname: k.init.memory.alloc(new TextEncoder().encode(`${path}\0`)), bpf_fd: fd }));
  t.is(pin('/b/m', map), 0);
  t.is(pin('/b/n', map), 0);
  k.init.close(map);
  t.is(k.counts().objects, before.objects + 1, 'the pins keep the map alive');
  remove(k.init, '/b/m');
  t.is(k.counts().objects, before.objects + 1, 'one pin is left');
  remove(k.init, '/b/n');
  const after = k.counts();
  t.is(after.objects, before.objects, 'the last pin gone, the map is freed');
  t.is(after.byKind['map'], 0);
  t.is(after.fds, before.fds);
  t.is(code(() => { remove(k.init, '/b/n'); }), 'ENOENT');
});

test('an unlinked pin leaves an open fd working; unlink and rmdir refuse what the kernel refuses', (t) => {
  const k = boot();
  k.init.mkdir('/b');
  k.init.mount('bpf', '/b', 'bpf', 0, null);
  const map = k.init.bpf(BpfCmd.BPF_MAP_CREATE, mapAttr(BpfMapType.BPF_MAP_TYPE_HASH));
  k.init.bpf(BpfCmd.BPF_OBJ_PIN, encodeAttr(BpfCmd.BPF_OBJ_PIN, { pathname: k.init.memory.alloc(new TextEncoder().encode('/b/m\0')), bpf_fd: map }));
  remove(k.init, '/b/m');
  t.is(k.counts().byKind['map'], 1, 'the fd still holds the map');
  k.init.close(map);
  t.is(k.counts().byKind['map'], 0);
  k.init.mkdir('/b/d');
  t.is(code(() => { remove(k.init, '/b/d'); }), 'EISDIR');
  t.is(code(() => { remove(k.init, '/b', true); }), 'EBUSY');
  remove(k.init, '/b/d', true);
  t.is(code(() => { remove(k.init, '/b/d', true); }), 'ENOENT');
});
