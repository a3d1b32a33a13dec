import type { CapabilitySets, Credentials } from './creds.js';
import type { FdTable } from './fd.js';
import type { IdMapKind } from './userns.js';
import type { BpfSyscall } from './syscall.js';

/** The ABI constants live in `@bpfkit/uapi`; re-exported here for the task API that takes them. */
export {
  CLONE_NEWNS,
  CLONE_NEWUSER,
  O_RDONLY,
  O_WRONLY,
  O_RDWR,
  O_CREAT,
  O_DIRECTORY,
  O_CLOEXEC,
  O_PATH,
  AT_FDCWD,
  MS_RDONLY,
  MS_BIND,
  MS_MOVE,
  MS_REC,
  MS_PRIVATE,
  FsconfigCmd,
  FSOPEN_CLOEXEC,
  FSPICK_CLOEXEC,
  FSMOUNT_CLOEXEC,
  MOVE_MOUNT_F_EMPTY_PATH,
  PROT_READ,
  PROT_WRITE,
  MAP_SHARED,
  MAP_PRIVATE,
  FD_CLOEXEC,
} from '@bpfkit/uapi';

/**
 * A mapping made by {@link Task.mmap}: a window on the map's memory in the
 * simulated machine's arena, so writes through it are what programs and
 * lookups see, and the other way round.
 *
 * @example
 * const m = task.mmap(arrayFd, 4096, PROT_READ | PROT_WRITE, MAP_SHARED);
 * m.write(8, value);   // element 1 of an 8-byte-value array
 * task.munmap(m);
 */
export interface MemoryMapping {
  /** Bytes mapped (what `mmap` was asked for). */
  readonly length: number;
  /** `PROT_*` of the mapping. */
  readonly prot: number;
  /**
   * The mapped bytes as a live view (a fresh view on every read, since the
   * arena may grow); a read-only mapping gives a copy instead.
   */
  readonly bytes: Uint8Array;
  /** Copies `length` bytes at `offset` (EFAULT outside the mapping or after munmap). */
  read(offset: number, length: number): Uint8Array;
  /** Stores `bytes` at `offset` (EFAULT outside the mapping, on a read-only mapping or after munmap). */
  write(offset: number, bytes: Uint8Array): void;
}


/** What `id` + `capget` report for a task, in the task's own user namespace. */
export interface WhoAmI {
  /** Real, effective, saved uid as seen in the task's userns (65534 when unmapped). */
  readonly resuid: readonly [number, number, number];
  readonly resgid: readonly [number, number, number];
  /** The effective set as capget prints it, e.g. `0x1ffffffffff`. */
  readonly cap_eff: string;
  readonly cap_prm: string;
}

/** `fstat()` of an fd, with the ids translated into the caller's userns. */
export interface FileStat {
  /** `st_mode`: file type and permission bits (`0o100600` for a token). */
  readonly mode: number;
  readonly ino: number;
  /** The superblock id (`st_dev`). */
  readonly dev: number;
  /** Owner as seen in the caller's userns (65534 when unmapped). */
  readonly uid: number;
  readonly gid: number;
}

/** One line of `/proc/self/mountinfo`. */
export interface MountInfoEntry {
  readonly mountId: number;
  readonly parentId: number;
  /** The path inside the file system that is the mount's root (`/` or `/sub` for a bind of a subdir). */
  readonly root: string;
  /** Where it is mounted, as seen from the reader's root. */
  readonly mountPoint: string;
  /** Per-mount options, e.g. `rw,relatime`. */
  readonly mountOptions: string;
  readonly fsType: string;
  /** The mount source (`none` for fsopen() without a `source` key). */
  readonly source: string;
  /** Superblock options: `rw` then the file system's `show_options` (`rw,uid=100000,delegate_cmds=any`). */
  readonly superOptions: string;
}

/** New capability sets for {@link Task.capset}; the kernel's rules apply (effective ⊆ permitted, no raising permitted). */
export interface CapsetRequest {
  readonly effective: bigint;
  readonly permitted: bigint;
  readonly inheritable: bigint;
}

/**
 * A process of the simulated kernel: credentials, namespaces, an fd table and
 * the syscalls bpfkit models. Every failing call throws `BpfError` with the
 * kernel's errno and leaves no object or fd behind.
 *
 * @example
 * const child = kernel.init.fork();
 * child.unshare(CLONE_NEWUSER);
 * kernel.init.writeFile(`/proc/${child.pid}/uid_map`, '0 100000 65536');
 */
export interface Task extends BpfSyscall {
  readonly pid: number;
  /** Current credentials (replaced, never mutated, by every transition). */
  readonly cred: Credentials;
  readonly fdTable: FdTable;
  /** False once {@link exit} ran. */
  readonly alive: boolean;
  /** `umask` (default 0o022). */
  umask: number;

  /** `fork()`: same creds and namespaces; the fd table is copied (`'copy'`, default) or empty. */
  fork(options?: { readonly fds?: 'copy' | 'empty' }): Task;
  /** Exit: closes every fd. */
  exit(): void;
  /** `unshare(CLONE_NEWUSER | CLONE_NEWNS)`. */
  unshare(flags: number): void;
  /** `setresuid()`: ids in the task's userns, -1 = unchanged. */
  setresuid(ruid: number, euid: number, suid: number): void;
  setresgid(rgid: number, egid: number, sgid: number): void;
  /** `capget()`. */
  capget(): CapabilitySets;
  /** `capset()` on itself. */
  capset(sets: CapsetRequest): void;
  /** `id` + `capget`, in the task's own userns. */
  whoami(): WhoAmI;

  /** Writes a file: `/proc/<pid>/{uid_map,gid_map,setgroups}`, `/proc/sys/...`. */
  writeFile(path: string, text: string): void;
  /**
   * Reads a file: `/proc/self/mountinfo`, `/proc/self/fdinfo/N`, `/proc/<pid>/uid_map`, `/proc/sys/...`,
   * `/proc/kallsyms`, `/sys/devices/system/cpu/possible`.
   */
  readFile(path: string): string;
  /** The kernel's build configuration (`/boot/config-$(uname -r)`), undefined when it has none. */
  kernelConfig(): string | undefined;
  /** `faccessat(AT_FDCWD, path, mode, AT_EACCESS)` (R_OK 4, W_OK 2, X_OK 1; 0 for existence): returns, or throws the errno. */
  access?(path: string, mode: number): void;
  /** `getpid()`. */
  getpid?(): number;
  /**
   * `open(path, O_WRONLY | O_APPEND)` and one write (the file is not created): tracefs'
   * `kprobe_events`, which a kernel without `CONFIG_KPROBE_EVENTS` does not have (ENOENT).
   */
  appendFile?(path: string, text: string): void;
  /** `read(fd, buf, length)` of a BPF iterator fd: the bytes read, empty at its end (other files: EINVAL). */
  read?(fd: number, length: number): Uint8Array;
  /** `readlink()`: `/proc/self/fd/N` gives the fd's path (a token: `/bpf-token (deleted)`). */
  readlink(path: string): string;
  /** `openat(dirfd, path, flags)`. */
  open(path: string, flags?: number, dirfd?: number): number;
  /** `mkdirat(dirfd, path, mode)`. */
  mkdir(path: string, mode?: number, dirfd?: number): void;
  /**
   * `unlinkat(dirfd, path, 0)`. Unlinking a bpffs pin drops the pin's
   * reference on the object.
   */
  unlink(path: string, dirfd?: number): void;
  /** `unlinkat(dirfd, path, AT_REMOVEDIR)`. */
  rmdir(path: string, dirfd?: number): void;
  /** `fstat(fd)`. */
  fstat(fd: number): FileStat;
  /** `fcntl(fd, F_GETFD)`. */
  getFdFlags(fd: number): number;
  /** Sends a dup of `fd` to `to` (SCM_RIGHTS); returns the fd number in `to`. */
  passFd(fd: number, to: Task): number;
  /** `/proc/self/mountinfo`, parsed. */
  mountinfo(): MountInfoEntry[];
  /**
   * `mmap(NULL, length, prot, flags, fd, offset)` of a BPF map (`BPF_F_MMAPABLE`
   * arrays, ringbufs), with the kernel's errno: EACCES for a mode the fd lacks
   * or a writable mapping of a BPF_F_RDONLY_PROG map, EPERM for a writable
   * mapping of a frozen map, EINVAL for a private mapping or a range past the
   * map, ENOTSUPP for map types that cannot be mapped, ENODEV for other files.
   * A perf event fd maps its ring (offset 0, `1 + 2^n` pages, MAP_SHARED only;
   * a writable mapping makes the producer respect `data_tail`).
   */
  mmap(fd: number, length: number, prot: number, flags: number, offset?: number): MemoryMapping;
  /** `munmap()`: drops the mapping and the reference it held on the map. */
  munmap(mapping: MemoryMapping): void;
  /**
   * `perf_event_open(attr, pid, cpu, group_fd, flags)`: an `anon_inode:[perf_event]`
   * fd. `attr` is the `struct perf_event_attr` bytes (its `size` field says how
   * many the kernel reads; on E2BIG the kernel writes its own size there).
   * The simulated kernel opens what BPF output needs: `PERF_TYPE_SOFTWARE` /
   * `PERF_COUNT_SW_BPF_OUTPUT` on one CPU (pid -1), with the kernel's errno for
   * bad attrs, flags and CPUs; {@link mmap} of the fd maps its ring
   * (`1 + 2^n` pages, the first the `perf_event_mmap_page`).
   */
  perfEventOpen?(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number): number;
  /**
   * `ioctl(fd, PERF_EVENT_IOC_ENABLE | PERF_EVENT_IOC_DISABLE, flags)` on a perf
   * event fd (a disabled event is on no CPU: BPF output to it is -EOPNOTSUPP);
   * ENOTTY for other files and requests, EBADF for a closed fd.
   */
  perfEventIoctl?(fd: number, request: number, arg: number): void;

  /** `fsopen(fsname, flags)`: an fs_context fd. */
  fsopen(fsname: string, flags?: number): number;
  /** `fsconfig(fd, cmd, key, value, aux)`. */
  fsconfig(fd: number, cmd: number, key?: string, value?: string, aux?: number): void;
  /** Reads (and drains) the messages of an fs_context fd, as `read()` on it does. */
  readFsLog(fd: number): string[];
  /** `fsmount(fd, flags, attr_flags)`: an O_PATH fd on a detached mount. */
  fsmount(fd: number, flags?: number, attrFlags?: number): number;
  /** `fspick(dirfd, path, flags)`: a reconfigure fs_context fd. */
  fspick(dirfd: number, path: string, flags?: number): number;
  /** `move_mount(from_dirfd, from_path, to_dirfd, to_path, flags)`. */
  moveMount(fromDirfd: number, fromPath: string, toDirfd: number, toPath: string, flags?: number): void;
  /** Classic `mount(2)`; `fstype` null for bind mounts and moves (MS_MOVE: `source` is the mount to move), `data` a comma-separated option string. */
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
}

/** Which id map {@link Task.writeFile} targets, for callers that build paths. */
export type IdMapFile = `${IdMapKind}_map`;
