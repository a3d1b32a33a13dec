// A read-only bpffs, as Linux 6.18 answered on this machine (a C probe: a delegated bpffs fsmount'ed
// with ro/nosuid/nodev/noexec/noatime/nodiratime/nosymfollow, or with fsconfig "ro"): the token and
// a map created through it work as on a plain mount; only BPF_OBJ_PIN into it fails, with EROFS.
import test from 'ava';
import { BpfError, CLONE_NEWNS, CLONE_NEWUSER, FsconfigCmd, MS_RDONLY, O_RDONLY, type Kernel, type Task } from '@bpfkit/kernel-api';
import { BpfCmd, BpfMapType, encodeAttr } from '@bpfkit/uapi';
import { boot, mapAttr, tokenAttr } from './helpers.js';

const MOUNT_ATTR_RDONLY = 0x1;
const MOUNT_ATTR_NOSUID = 0x2;
const MOUNT_ATTR_NODEV = 0x4;
const MOUNT_ATTR_NOEXEC = 0x8;
const MOUNT_ATTR_NOATIME = 0x10;
const MOUNT_ATTR_NODIRATIME = 0x80;
const MOUNT_ATTR_NOSYMFOLLOW = 0x20_0000;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof BpfError) return e.code;
    throw e;
  }
}

function pin(task: Task, fd: number, path: string, dirfd?: number): number {
  const pathname = task.memory.alloc(new TextEncoder().encode(`${path}\0`));
  return task.bpf(BpfCmd.BPF_OBJ_PIN, encodeAttr(BpfCmd.BPF_OBJ_PIN, dirfd === undefined
    ? { pathname, bpf_fd: fd }
    : { pathname, bpf_fd: fd, file_flags: 1 << 14, path_fd: dirfd }));
}

/** A container given a delegating bpffs mounted with `attrs` (and superblock flag `ro` when asked); returns it and its fd on the root. */
function delegatedWith(k: Kernel, attrs: number, sbReadonly: boolean): { child: Task; root: number } {
  const child = k.init.fork({ fds: 'empty' });
  child.unshare(CLONE_NEWUSER);
  k.init.writeFile(`/proc/${child.pid}/uid_map`, '0 100000 65536');
  k.init.writeFile(`/proc/${child.pid}/gid_map`, '0 100000 65536');
  child.setresgid(0, 0, 0);
  child.setresuid(0, 0, 0);
  child.unshare(CLONE_NEWNS);
  const host = k.init.fork({ fds: 'empty' });
  const fs = child.fsopen('bpf');
  const hfs = child.passFd(fs, host);
  host.fsconfig(hfs, FsconfigCmd.FSCONFIG_SET_STRING, 'delegate_cmds', 'any');
  host.fsconfig(hfs, FsconfigCmd.FSCONFIG_SET_STRING, 'delegate_maps', 'any');
  if (sbReadonly) host.fsconfig(hfs, FsconfigCmd.FSCONFIG_SET_FLAG, 'ro');
  host.fsconfig(hfs, FsconfigCmd.FSCONFIG_CMD_CREATE);
  const mnt = host.passFd(host.fsmount(hfs, 0, attrs), child);
  return { child, root: child.open('.', O_RDONLY, mnt) };
}

const CASES: readonly (readonly [string, number, boolean, string | undefined])[] = [
  ['plain', 0, false, undefined],
  ['nosuid,nodev,noexec', MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, false, undefined],
  ['noatime,nodiratime,nosymfollow', MOUNT_ATTR_NOATIME | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW, false, undefined],
  ['ro (mount attribute)', MOUNT_ATTR_RDONLY, false, 'EROFS'],
  ['ro (superblock)', 0, true, 'EROFS'],
  ['ro,nosuid,nodev,noexec', MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, false, 'EROFS'],
];

for (const [label, attrs, sbReadonly, pinErrno] of CASES) {
  test(`delegated bpffs mounted ${label}: token and map_create through it work; pinning ${pinErrno ?? 'works'}`, (t) => {
    const k = boot();
    const { child, root } = delegatedWith(k, attrs, sbReadonly);
    const token = child.bpf(BpfCmd.BPF_TOKEN_CREATE, tokenAttr(root));
    const map = child.bpf(BpfCmd.BPF_MAP_CREATE, mapAttr(BpfMapType.BPF_MAP_TYPE_HASH, { token }));
    t.true(map >= 0);
    t.is(code(() => pin(child, map, 'm', root)), pinErrno);
  });
}

test('on a read-only mount an existing name is still EEXIST; a legacy MS_RDONLY mount refuses pins too', (t) => {
  const k = boot();
  k.init.mkdir('/b');
  k.init.mount('bpf', '/b', 'bpf', 0, null);
  const map = k.init.bpf(BpfCmd.BPF_MAP_CREATE, mapAttr(BpfMapType.BPF_MAP_TYPE_HASH));
  t.is(pin(k.init, map, '/b/m'), 0);
  k.init.mkdir('/r');
  k.init.mount('bpf', '/r', 'bpf', MS_RDONLY, null);
  t.is(code(() => pin(k.init, map, '/r/m')), 'EROFS');
  const fs = k.init.fspick(-100, '/b');
  k.init.fsconfig(fs, FsconfigCmd.FSCONFIG_SET_FLAG, 'ro');
  k.init.fsconfig(fs, FsconfigCmd.FSCONFIG_CMD_RECONFIGURE);
  t.is(code(() => pin(k.init, map, '/b/m')), 'EEXIST');
  t.is(code(() => pin(k.init, map, '/b/n')), 'EROFS');
});
