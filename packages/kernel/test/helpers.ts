import { CLONE_NEWNS, CLONE_NEWUSER, FsconfigCmd, MS_PRIVATE, MS_REC, O_RDONLY, type Kernel, type Task } from '@bpfkit/kernel-api';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { BPF_ATTR_SIZE, BpfCmd, encodeAttr } from '@bpfkit/uapi';

export function boot(): Kernel {
  return createDefaultKernel();
}

/** A container: userns mapped 0 → 100000, root inside, own private mount ns. */
export function container(kernel: Kernel, uidMap = '0 100000 65536'): Task {
  const t = kernel.init.fork({ fds: 'empty' });
  t.unshare(CLONE_NEWUSER);
  kernel.init.writeFile(`/proc/${t.pid}/uid_map`, uidMap);
  kernel.init.writeFile(`/proc/${t.pid}/gid_map`, uidMap);
  t.setresgid(0, 0, 0);
  t.setresuid(0, 0, 0);
  t.unshare(CLONE_NEWNS);
  t.mount(null, '/', null, MS_REC | MS_PRIVATE, null);
  return t;
}

/** The delegation dance; returns the child's bpffs root fd. */
export function delegated(kernel: Kernel, child: Task, delegate: Record<string, string>): number {
  const host = kernel.init.fork({ fds: 'empty' });
  host.unshare(CLONE_NEWNS);
  const fs = child.fsopen('bpf');
  const hfs = child.passFd(fs, host);
  for (const [k, v] of Object.entries(delegate)) host.fsconfig(hfs, FsconfigCmd.FSCONFIG_SET_STRING, `delegate_${k}`, v);
  host.fsconfig(hfs, FsconfigCmd.FSCONFIG_CMD_CREATE);
  const mnt = host.fsmount(hfs);
  const cm = host.passFd(mnt, child);
  host.exit();
  child.close(fs);
  const fd = child.open('.', O_RDONLY, cm);
  child.close(cm);
  return fd;
}

export function tokenAttr(bpffsFd: number, flags = 0): Uint8Array {
  return encodeAttr(BpfCmd.BPF_TOKEN_CREATE, { flags, bpffs_fd: bpffsFd });
}

export function mapAttr(mapType: number, extra: { token?: number; flags?: number } = {}): Uint8Array {
  return encodeAttr(BpfCmd.BPF_MAP_CREATE, {
    map_type: mapType,
    key_size: 4,
    value_size: 8,
    max_entries: 1,
    map_flags: (extra.flags ?? 0) | (extra.token === undefined ? 0 : 0x10000),
    map_token_fd: extra.token ?? 0,
  });
}

export function fullAttr(bytes: Uint8Array): Uint8Array {
  const a = new Uint8Array(BPF_ATTR_SIZE);
  a.set(bytes);
  return a;
}
