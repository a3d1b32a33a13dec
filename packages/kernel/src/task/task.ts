import { freeTaskStruct } from '../bpf/task-structs.js';
import { mntFlags, setMntFlags } from '../fs/mnt-flags.js';
import {
  AT_FDCWD,
  BpfError,
  CLONE_NEWNS,
  CLONE_NEWUSER,
  FD_CLOEXEC,
  MAY_EXEC,
  MAY_OPEN,
  MAY_READ,
  MAY_WRITE,
  O_CLOEXEC,
  O_DIRECTORY,
  O_PATH,
  type CapabilitySets,
  type CapsetRequest,
  type Credentials,
  type FileStat,
  type MemoryMapping,
  type MountInfoEntry,
  type Task,
  type UserMemory,
  type WhoAmI,
} from '@bpfkit/kernel-api';
import { Capability } from '@bpfkit/uapi';
import { runDueTimers } from '../bpf/timers.js';
import { bpfSyscall } from '../bpf/syscall.js';
import type { KernelCore } from '../core.js';
import { KFdTable } from '../fs/fdtable.js';
import * as fsctx from '../fs/fsctx.js';
import { Mount, MountNamespace } from '../fs/mount.js';
import { inodePermission, lookupParent, lookupPath, splitPath, walkComponents, walkStart, type WalkContext } from '../fs/namei.js';
import type { PathRef } from '../fs/path.js';
import { fdinfo, mountinfo, procRead, procReadlink, procWrite } from '../fs/proc.js';
import { removeEntry } from '../fs/unlink.js';
import { createUserMemory } from '../memory.js';
import { mmapMap } from './mmap.js';
import { mmapPerf } from '../perf/mmap.js';
import { perfEventOpen } from '../perf/open.js';
import { perfEventIoctl } from '../perf/ioctl.js';
import { pmuSysfsRead } from '../perf/pmu.js';
import { tracefsPathOf, tracefsRead } from '../fs/tracefs.js';

/** Where `trace_pipe` is: tracefs, and its old place under debugfs. */
/** sysfs' list of possible CPUs (`num_possible_cpus()`), which libbpf reads for per-CPU values. */
const POSSIBLE_CPUS = '/sys/devices/system/cpu/possible';
const TRACE_PIPES = new Set(['/sys/kernel/tracing/trace_pipe', '/sys/kernel/debug/tracing/trace_pipe']);

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/** A simulated process. See the {@link Task} contract. */
export class TaskImpl implements Task {
  alive = true;
  umask = 0o022;
  readonly memory: UserMemory;
  /** This task's live mmaps, each with its unmap. */
  readonly #mappings = new Map<MemoryMapping, () => void>();

  constructor(
    readonly core: KernelCore,
    readonly pid: number,
    public cred: Credentials,
    public mntNs: MountNamespace,
    public root: PathRef,
    public cwd: PathRef,
    readonly fdTable: KFdTable,
  ) {
    this.memory = core.deps.memory?.() ?? createUserMemory();
    core.tasks.set(pid, this);
  }

  walkContext(): WalkContext {
    return { core: this.core, cred: this.cred, root: this.root, cwd: this.cwd, fdTable: this.fdTable };
  }

  #live(): void {
    if (!this.alive) throw new BpfError('ESRCH', 'task:exited', `task ${this.pid} has exited`);
  }

  fork(options: { readonly fds?: 'copy' | 'empty' } = {}): TaskImpl {
    this.#live();
    const fds = options.fds === 'empty' ? new KFdTable() : this.fdTable.clone();
    const child = new TaskImpl(this.core, this.core.pids.alloc(), this.cred, this.mntNs, this.root, this.cwd, fds);
    child.umask = this.umask;
    return child;
  }

  exit(): void {
    if (!this.alive) return;
    for (const unmap of [...this.#mappings.values()]) unmap();
    this.fdTable.closeAll();
    this.alive = false;
    freeTaskStruct(this.core, this.pid);
    this.core.tasks.delete(this.pid);
  }

  unshare(flags: number): void {
    this.#live();
    if ((flags & ~(CLONE_NEWUSER | CLONE_NEWNS)) !== 0) {
      throw new BpfError('EINVAL', 'task:unshare-flags', `unshare flags 0x${flags.toString(16)} not modelled`);
    }
    let cred = this.cred;
    if ((flags & CLONE_NEWUSER) !== 0) {
      const ns = this.core.deps.userNamespaces.create(cred);
      cred = this.core.deps.capabilities.credsForNewUserNs(cred, ns);
    }
    if ((flags & CLONE_NEWNS) !== 0) {
      if (!this.core.nsCapable(cred, cred.userNs, Capability.CAP_SYS_ADMIN)) {
        throw new BpfError('EPERM', 'task:unshare-mntns', 'unshare(CLONE_NEWNS) needs CAP_SYS_ADMIN in the current userns');
      }
      this.#copyMountNs(cred);
    }
    this.cred = cred;
  }

  /** `copy_mnt_ns`: a private copy of every mount, owned by the (new) userns. */
  #copyMountNs(cred: Credentials): void {
    const ns = new MountNamespace(this.core.mntNsIds.alloc(), cred.userNs, false);
    const map = new Map<Mount, Mount>();
    for (const old of this.mntNs.mounts) {
      const m = new Mount(this.core.mountIds.alloc(), old.sb, old.root, old.rootRel, ns, old.source, old.readonly);
      m.mountpoint = old.mountpoint;
      m.mountpointRel = old.mountpointRel;
      m.mountpointPath = old.mountpointPath;
      // The copy keeps the per-mount flags (nosuid, noexec, atime…), as `copy_tree` does.
      setMntFlags(m, mntFlags(old));
      map.set(old, m);
      ns.add(m);
    }
    // Parents after every copy exists: a mount moved (MS_MOVE) under a newer one comes before its parent.
    for (const [old, m] of map) m.parent = old.parent === undefined ? undefined : map.get(old.parent);
    const rootMnt = this.mntNs.root === undefined ? undefined : map.get(this.mntNs.root);
    ns.root = rootMnt;
    const translate = (p: PathRef): PathRef => ({ mnt: map.get(p.mnt) ?? p.mnt, inode: p.inode, rel: p.rel });
    this.root = translate(this.root);
    this.cwd = translate(this.cwd);
    this.mntNs = ns;
  }

  #kid(kind: 'uid' | 'gid', id: number): number {
    if (id === -1) return -1;
    const k = this.core.deps.userNamespaces.mapDown(this.cred.userNs, kind, id);
    if (k === -1) throw new BpfError('EINVAL', 'task:id-unmapped', `${kind} ${id} has no mapping in userns#${this.cred.userNs.id}`);
    return k;
  }

  setresuid(ruid: number, euid: number, suid: number): void {
    this.#live();
    const [r, e, s] = [this.#kid('uid', ruid), this.#kid('uid', euid), this.#kid('uid', suid)];
    this.cred = this.core.deps.capabilities.setresuid(this.cred, r, e, s);
  }

  setresgid(rgid: number, egid: number, sgid: number): void {
    this.#live();
    const [r, e, s] = [this.#kid('gid', rgid), this.#kid('gid', egid), this.#kid('gid', sgid)];
    this.cred = this.core.deps.capabilities.setresgid(this.cred, r, e, s);
  }

  capget(): CapabilitySets {
    const c = this.cred;
    return { effective: c.effective, permitted: c.permitted, inheritable: c.inheritable, bounding: c.bounding, ambient: c.ambient };
  }

  capset(sets: CapsetRequest): void {
    this.#live();
    this.cred = this.core.deps.capabilities.capset(this.cred, sets.effective, sets.permitted, sets.inheritable);
  }

  whoami(): WhoAmI {
    const u = this.core.deps.userNamespaces;
    const ns = this.cred.userNs;
    const c = this.cred;
    return {
      resuid: [u.mapUpMunged(ns, 'uid', c.uid), u.mapUpMunged(ns, 'uid', c.euid), u.mapUpMunged(ns, 'uid', c.suid)],
      resgid: [u.mapUpMunged(ns, 'gid', c.gid), u.mapUpMunged(ns, 'gid', c.egid), u.mapUpMunged(ns, 'gid', c.sgid)],
      cap_eff: `0x${c.effective.toString(16)}`,
      cap_prm: `0x${c.permitted.toString(16)}`,
    };
  }

  #procPath(path: string): readonly string[] | undefined {
    const r = walkComponents(this.walkContext(), walkStart(this.walkContext(), AT_FDCWD, path), splitPath(path));
    return 'proc' in r ? r.proc : undefined;
  }

  writeFile(path: string, text: string): void {
    this.#live();
    const rest = this.#procPath(path);
    if (rest === undefined) throw new BpfError('EINVAL', 'vfs:write-not-modelled', `${path}: only /proc files are writable here`);
    procWrite(this, rest, text);
  }

  readFile(path: string): string {
    this.#live();
    if (TRACE_PIPES.has(path)) {
      // trace_pipe is a consuming read: each line is handed out once.
      const lines = this.core.traceLines.splice(0);
      return lines.map((l) => `${l}\n`).join('');
    }
    if (path === POSSIBLE_CPUS) return this.core.cpus === 1 ? '0\n' : `0-${String(this.core.cpus - 1)}\n`;
    const traced = tracefsRead(path) ?? pmuSysfsRead(this.core, path);
    if (traced !== undefined) return traced;
    if (path.startsWith('/sys/kernel/tracing/') || path.startsWith('/sys/kernel/debug/tracing/') || path.startsWith('/sys/bus/event_source/')) {
      throw new BpfError('ENOENT', 'vfs:no-entry', `${path}: no such file`);
    }
    const rest = this.#procPath(path);
    if (rest === undefined) throw new BpfError('EINVAL', 'vfs:read-not-modelled', `${path}: only /proc files and ${POSSIBLE_CPUS} are readable here`);
    return procRead(this, rest);
  }

  access(path: string, mode: number): void {
    this.#live();
    if (!Number.isInteger(mode) || (mode & ~7) !== 0) throw new BpfError('EINVAL', 'vfs:access-mode', `access mode ${String(mode)} is not a combination of R_OK, W_OK and X_OK`);
    if (tracefsRead(path) !== undefined || pmuSysfsRead(this.core, path) !== undefined) {
      // Read-only files of root: writing them needs CAP_DAC_OVERRIDE-less root too, as on Linux where they are 0444.
      if ((mode & 3) !== 0 && (mode & 4) === 0) throw new BpfError('EACCES', 'vfs:permission', `${path}: read-only`);
      return;
    }
    const p = lookupPath(this.walkContext(), AT_FDCWD, path);
    const mask = ((mode & 4) !== 0 ? MAY_READ : 0) | ((mode & 2) !== 0 ? MAY_WRITE : 0) | ((mode & 1) !== 0 ? MAY_EXEC : 0);
    if (mask !== 0) inodePermission(this.core, p.inode, this.cred, mask);
  }

  read(fd: number, length: number): Uint8Array {
    this.#live();
    const entry = this.fdTable.get(fd);
    if (entry === undefined) throw new BpfError('EBADF', 'fd:not-open', `fd ${fd} is not open`);
    const iter = entry.file.payload.iter;
    if (iter === undefined) throw new BpfError('EINVAL', 'vfs:read-not-modelled', `fd ${fd}: only BPF iterator fds can be read here`);
    if (!Number.isInteger(length) || length < 0) throw new BpfError('EINVAL', 'vfs:read-length', `read length ${String(length)} is not a count`);
    return iter.read(length);
  }

  getpid(): number {
    this.#live();
    return this.pid;
  }

  appendFile(path: string, text: string): void {
    this.#live();
    if (tracefsPathOf(path) === 'kprobe_events' || tracefsPathOf(path) === 'uprobe_events') {
      // Dynamic probe events: kprobe_events exists with CONFIG_KPROBE_EVENTS, uprobe_events with CONFIG_UPROBE_EVENTS.
      const kprobes = /^CONFIG_KPROBE_EVENTS=y$/m.test(this.core.deps.kernelConfig ?? '');
      if (tracefsPathOf(path) === 'kprobe_events' && !kprobes) throw new BpfError('ENOENT', 'vfs:no-entry', `${path}: no such file (the kernel has no CONFIG_KPROBE_EVENTS)`);
      throw new BpfError('ENOTSUPP', 'tracefs:dynamic-events-not-simulated', `${path}: dynamic probe events (${text.split(' ')[0] ?? ''}) are not simulated by bpfkit`);
    }
    this.writeFile(path, text);
  }

  /** The kernel's build configuration as libbpf finds it (`/boot/config-$(uname -r)`), undefined when it has none. */
  kernelConfig(): string | undefined {
    this.#live();
    return this.core.deps.kernelConfig;
  }

  readlink(path: string): string {
    this.#live();
    const rest = this.#procPath(path);
    if (rest === undefined) throw new BpfError('EINVAL', 'vfs:not-a-link', `${path}: not a symlink`);
    return procReadlink(this, rest);
  }

  open(path: string, flags = 0, dirfd = AT_FDCWD): number {
    this.#live();
    const p = lookupPath(this.walkContext(), dirfd, path);
    const isDir = p.inode.kind === 'dir';
    if ((flags & O_DIRECTORY) !== 0 && !isDir) throw new BpfError('ENOTDIR', 'vfs:not-a-directory', `${path} is not a directory`);
    const opath = (flags & O_PATH) !== 0;
    if (!opath) {
      const acc = flags & 3;
      if (isDir && acc !== 0) throw new BpfError('EISDIR', 'vfs:is-a-directory', `${path} is a directory`);
      const mask = MAY_OPEN | (acc === 0 || acc === 2 ? MAY_READ : 0) | (acc === 1 || acc === 2 ? MAY_WRITE : 0);
      inodePermission(this.core, p.inode, this.cred, mask);
    }
    const kind = opath ? 'path' : isDir ? 'dir' : 'reg';
    const keep = opath ? O_PATH | (flags & (O_DIRECTORY | 0o400000)) : flags & ~O_CLOEXEC;
    const file = this.core.newFile(kind, opath, keep, { path: p });
    return this.fdTable.install(file, { cloexec: (flags & O_CLOEXEC) !== 0 });
  }

  mkdir(path: string, mode = 0o777, dirfd = AT_FDCWD): void {
    this.#live();
    const { parent, name } = lookupParent(this.walkContext(), dirfd, path);
    if (name === '' || name === '.' || name === '..') throw new BpfError('EEXIST', 'vfs:exists', `${path} exists`);
    if (parent.inode.kind !== 'dir') throw new BpfError('ENOTDIR', 'vfs:not-a-directory', `parent of ${path} is not a directory`);
    const ops = parent.inode.superblock.fsType.inodeOps;
    if (ops === undefined) throw new BpfError('EPERM', 'vfs:no-mkdir', `${parent.mnt.sb.fsType.name} has no mkdir`);
    if (ops.lookup(parent.inode, name) !== undefined) throw new BpfError('EEXIST', 'vfs:exists', `${path} exists`);
    ops.mkdir(parent.inode, name, mode & ~this.umask & 0o7777, this.cred);
  }

  unlink(path: string, dirfd = AT_FDCWD): void {
    this.#live();
    removeEntry(this.walkContext(), dirfd, path, false, this.cred);
  }

  rmdir(path: string, dirfd = AT_FDCWD): void {
    this.#live();
    removeEntry(this.walkContext(), dirfd, path, true, this.cred);
  }

  fstat(fd: number): FileStat {
    this.#live();
    const entry = this.fdTable.get(fd);
    if (entry === undefined) throw new BpfError('EBADF', 'fd:not-open', `fd ${fd} is not open`);
    const inode = entry.file.payload.pseudoInode ?? entry.file.payload.path?.inode;
    const u = this.core.deps.userNamespaces;
    const ns = this.cred.userNs;
    if (inode === undefined) {
      return { mode: S_IFREG | 0o600, ino: entry.file.id, dev: 0, uid: u.mapUpMunged(ns, 'uid', 0), gid: u.mapUpMunged(ns, 'gid', 0) };
    }
    return {
      mode: (inode.kind === 'dir' ? S_IFDIR : S_IFREG) | inode.mode,
      ino: inode.ino,
      dev: inode.superblock.id,
      uid: u.mapUpMunged(ns, 'uid', inode.uid),
      gid: u.mapUpMunged(ns, 'gid', inode.gid),
    };
  }

  getFdFlags(fd: number): number {
    const entry = this.fdTable.get(fd);
    if (entry === undefined) throw new BpfError('EBADF', 'fd:not-open', `fd ${fd} is not open`);
    return entry.cloexec ? FD_CLOEXEC : 0;
  }

  passFd(fd: number, to: Task): number {
    this.#live();
    const entry = this.fdTable.get(fd);
    if (entry === undefined) throw new BpfError('EBADF', 'fd:not-open', `fd ${fd} is not open`);
    const dest = this.core.tasks.get(to.pid);
    if (dest === undefined || !dest.alive) throw new BpfError('ECONNREFUSED', 'task:peer-gone', `task ${to.pid} is not alive`);
    return dest.fdTable.install(entry.file, { cloexec: false });
  }

  mountinfo(): MountInfoEntry[] {
    return mountinfo(this);
  }

  mmap(fd: number, length: number, prot: number, flags: number, offset = 0): MemoryMapping {
    this.#live();
    const onUnmap = (gone: MemoryMapping): void => {
      this.#mappings.delete(gone);
      this.core.mappings--;
    };
    const file = this.fdTable.get(fd)?.file;
    const perf = file?.opath === false ? file.payload.perf : undefined;
    const m = file !== undefined && perf !== undefined ? mmapPerf(file, perf, length, prot, flags, offset, onUnmap) : mmapMap(this, fd, length, prot, flags, offset, onUnmap);
    this.#mappings.set(m, () => { m.unmap(); });
    this.core.mappings++;
    return m;
  }

  munmap(mapping: MemoryMapping): void {
    const unmap = this.#mappings.get(mapping);
    if (unmap === undefined) throw new BpfError('EINVAL', 'mmap:not-mapped', 'not a mapping of this task');
    unmap();
  }

  perfEventOpen(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number): number {
    this.#live();
    return perfEventOpen(this, attr, pid, cpu, groupFd, flags);
  }

  // The flags argument changes nothing: an event is its own group, and the kernel ignores other bits.
  perfEventIoctl(fd: number, request: number, arg = 0): void {
    this.#live();
    perfEventIoctl(this, fd, request, arg);
  }

  fdinfo(fd: number): string {
    return fdinfo(this, fd);
  }

  fsopen(fsname: string, flags = 0): number {
    this.#live();
    return fsctx.fsopen(this, fsname, flags);
  }

  fsconfig(fd: number, cmd: number, key?: string, value?: string, aux = 0): void {
    this.#live();
    fsctx.fsconfig(this, fd, cmd, key, value, aux);
  }

  readFsLog(fd: number): string[] {
    return fsctx.readFsLog(this, fd);
  }

  fsmount(fd: number, flags = 0, attrFlags = 0): number {
    this.#live();
    return fsctx.fsmount(this, fd, flags, attrFlags);
  }

  fspick(dirfd: number, path: string, flags = 0): number {
    this.#live();
    return fsctx.fspick(this, dirfd, path, flags);
  }

  moveMount(fromDirfd: number, fromPath: string, toDirfd: number, toPath: string, flags = 0): void {
    this.#live();
    fsctx.moveMount(this, fromDirfd, fromPath, toDirfd, toPath, flags);
  }

  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
    this.#live();
    fsctx.mount(this, source, target, fstype, flags, data);
  }

  bpf(cmd: number, attr: Uint8Array): number {
    this.#live();
    runDueTimers(this);
    return bpfSyscall(this, cmd, attr);
  }

  close(fd: number): void {
    this.fdTable.close(fd);
  }
}
