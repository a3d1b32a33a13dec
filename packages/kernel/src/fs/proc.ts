import { BpfError, type MountInfoEntry } from '@bpfkit/kernel-api';
import { mapFdinfo, progFdinfo } from '../bpf/fdinfo.js';
import { linkFdinfo } from '../bpf/link-fdinfo.js';
import type { SyscallContext } from '../task/syscall-context.js';
import type { TaskImpl } from '../task/task.js';
import { kallsyms } from './kallsyms.js';
import { availableCongestionControls } from '../bpf/tcp-congestion-ops.js';
import { pathString } from './path.js';
import { showMntOptions } from './mnt-flags.js';
import { showSbFlags } from './sb-flags.js';

/** `/proc/<pid>` or `/proc/self` from the reader's point of view. */
function target(reader: SyscallContext, name: string | undefined): TaskImpl {
  const pid = name === 'self' ? reader.pid : Number(name);
  const t = Number.isInteger(pid) ? reader.core.tasks.get(pid) : undefined;
  if (t === undefined) throw new BpfError('ENOENT', 'proc:no-such-pid', `/proc/${name ?? ''}: no such process`);
  return t;
}

function fdOf(t: TaskImpl, name: string | undefined): number {
  const fd = Number(name);
  if (!Number.isInteger(fd) || t.fdTable.get(fd) === undefined) throw new BpfError('ENOENT', 'proc:no-such-fd', `fd ${name ?? ''} is not open`);
  return fd;
}

/** The lines of `/proc/self/mountinfo` for `reader`'s mount namespace. */
export function mountinfo(reader: TaskImpl): MountInfoEntry[] {
  return reader.mntNs.mounts.map((m) => ({
    mountId: m.id,
    parentId: m.parent?.id ?? m.id,
    root: `/${m.rootRel.join('/')}`,
    mountPoint: m.mountpointPath,
    mountOptions: showMntOptions(m),
    fsType: m.sb.fsType.name,
    source: m.source,
    superOptions: `${showSbFlags(m.sb)}${m.sb.fsType.showOptions(m.sb)}`,
  }));
}

function formatMountinfo(reader: TaskImpl): string {
  return mountinfo(reader)
    .map((e) => `${e.mountId} ${e.parentId} 0:${e.mountId} ${e.root} ${e.mountPoint} ${e.mountOptions} - ${e.fsType} ${e.source} ${e.superOptions}\n`)
    .join('');
}

/** `/proc/<pid>/fdinfo/<fd>`: the generic lines, then the file's own (a token's `allowed_*`). */
export function fdinfo(t: TaskImpl, fd: number): string {
  const entry = t.fdTable.get(fd);
  if (entry === undefined) throw new BpfError('EBADF', 'fd:not-open', `fd ${fd} is not open`);
  const f = entry.file;
  const flags = f.flags | (entry.cloexec ? 0o2000000 : 0);
  const mnt = f.payload.path?.mnt.id ?? 0;
  const ino = f.payload.path?.inode.ino ?? f.payload.pseudoInode?.ino ?? 0;
  let text = `pos:\t0\nflags:\t0${flags.toString(8)}\nmnt_id:\t${mnt}\nino:\t${ino}\n`;
  const token = f.payload.object?.token;
  if (token !== undefined) text += t.core.deps.token.fdinfo(token);
  const obj = f.payload.object;
  if (obj !== undefined && obj.kind === 'map') text += mapFdinfo(t.core, obj);
  if (obj !== undefined && obj.kind === 'prog') text += progFdinfo(t.core, obj);
  if (obj !== undefined && obj.kind === 'btf') text += `btf_id:\t${obj.id}\n`;
  if (obj !== undefined && obj.kind === 'link') text += linkFdinfo(obj);
  return text;
}

/** `readlink(/proc/<pid>/fd/<fd>)`. */
export function fdLink(t: TaskImpl, fd: number): string {
  const entry = t.fdTable.get(fd);
  if (entry === undefined) throw new BpfError('ENOENT', 'proc:no-such-fd', `fd ${fd} is not open`);
  const p = entry.file.payload;
  if (p.linkText !== undefined) return p.linkText;
  if (p.path !== undefined) return pathString(p.path);
  return 'anon_inode:[unknown]';
}

const SYSCTL_BPF = ['sys', 'kernel', 'unprivileged_bpf_disabled'];
const TCP_AVAILABLE_CC = 'sys/net/ipv4/tcp_available_congestion_control';

function isSysctl(rest: readonly string[]): boolean {
  return rest.length === SYSCTL_BPF.length && rest.every((c, i) => c === SYSCTL_BPF[i]);
}

/**
 * `/proc/uptime`: seconds since boot by the injected clock, two decimals. The
 * second field (idle time summed over CPUs) is not simulated and reads 0.00.
 */
function uptime(core: TaskImpl['core']): string {
  const centis = (core.clock.nowNs() - core.bootNs) / 10_000_000n;
  return `${centis / 100n}.${(centis % 100n).toString().padStart(2, '0')} 0.00\n`;
}

/** Reads a /proc file. */
export function procRead(reader: SyscallContext, rest: readonly string[]): string {
  if (isSysctl(rest)) return `${reader.core.unprivilegedBpfDisabled}\n`;
  if (rest.length === 1 && rest[0] === 'uptime') return uptime(reader.core);
  if (rest.length === 1 && rest[0] === 'kallsyms') return kallsyms(reader);
  if (rest.join('/') === TCP_AVAILABLE_CC) return `${availableCongestionControls(reader.core).join(' ')}\n`;
  const t = target(reader, rest[0]);
  const u = reader.core.deps.userNamespaces;
  switch (rest[1]) {
    case 'uid_map':
      return u.formatIdMap(t.cred.userNs, 'uid', reader.cred.userNs);
    case 'gid_map':
      return u.formatIdMap(t.cred.userNs, 'gid', reader.cred.userNs);
    case 'setgroups':
      return `${t.cred.userNs.setgroups}\n`;
    case 'mountinfo':
      return formatMountinfo(t);
    case 'fdinfo':
      if (rest.length === 3) return fdinfo(t, fdOf(t, rest[2]));
      break;
  }
  throw new BpfError('ENOENT', 'proc:not-modelled', `/proc/${rest.join('/')}: not modelled`);
}

/** Writes a /proc file. */
export function procWrite(writer: TaskImpl, rest: readonly string[], text: string): void {
  if (isSysctl(rest)) {
    const v = Number(text.trim());
    if (!/^\s*-?\d+\s*$/.test(text)) throw new BpfError('EINVAL', 'sysctl:not-a-number', `not a number: ${text}`);
    writer.core.setUnprivBpfDisabled(v, writer.cred);
    return;
  }
  const t = target(writer, rest[0]);
  const u = writer.core.deps.userNamespaces;
  switch (rest[1]) {
    case 'uid_map':
    case 'gid_map':
      u.writeIdMap(t.cred.userNs, rest[1] === 'uid_map' ? 'uid' : 'gid', text, writer.cred, writer.cred);
      return;
    case 'setgroups':
      u.writeSetgroups(t.cred.userNs, text, writer.cred);
      return;
  }
  throw new BpfError('EACCES', 'proc:not-writable', `/proc/${rest.join('/')}: not writable`);
}

/** `readlink()` under /proc. */
export function procReadlink(reader: TaskImpl, rest: readonly string[]): string {
  const t = target(reader, rest[0]);
  if (rest[1] === 'fd' && rest.length === 3) return fdLink(t, fdOf(t, rest[2]));
  throw new BpfError('EINVAL', 'proc:not-a-link', `/proc/${rest.join('/')}: not a symlink`);
}
