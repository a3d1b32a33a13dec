/**
 * Linux ABI constants outside bpf(2) that the BPF token story needs: clone/unshare, open,
 * mount and the new mount API (fsopen/fsconfig/fsmount/move_mount), mmap and fcntl. The
 * values are x86-64's, from include/uapi/linux and asm-generic headers.
 */

/** `unshare()` / `clone()` flags the simulated kernel implements. */
export const CLONE_NEWNS = 0x0002_0000;
export const CLONE_NEWUSER = 0x1000_0000;

/** `open()` flags (x86-64 values). */
export const O_RDONLY = 0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_DIRECTORY = 0o200000;
export const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;

/** `AT_FDCWD`: resolve a relative path from the current directory. */
export const AT_FDCWD = -100;

/** `mount(2)` flags. */
export const MS_RDONLY = 1;
export const MS_BIND = 4096;
export const MS_MOVE = 8192;
export const MS_REC = 16384;
export const MS_SILENT = 32768;
export const MS_UNBINDABLE = 1 << 17;
export const MS_PRIVATE = 1 << 18;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;

/** `fsconfig()` commands (`enum fsconfig_command`). */
export const FsconfigCmd = {
  FSCONFIG_SET_FLAG: 0,
  FSCONFIG_SET_STRING: 1,
  FSCONFIG_SET_BINARY: 2,
  FSCONFIG_SET_PATH: 3,
  FSCONFIG_SET_PATH_EMPTY: 4,
  FSCONFIG_SET_FD: 5,
  FSCONFIG_CMD_CREATE: 6,
  FSCONFIG_CMD_RECONFIGURE: 7,
  FSCONFIG_CMD_CREATE_EXCL: 8,
} as const;

/** `FSOPEN_CLOEXEC`, `FSPICK_CLOEXEC`, `FSMOUNT_CLOEXEC`: all bit 0. */
export const FSOPEN_CLOEXEC = 1;
export const FSPICK_CLOEXEC = 1;
export const FSMOUNT_CLOEXEC = 1;
/** `move_mount()` flag: the source is the fd itself (an fsmount() fd). */
export const MOVE_MOUNT_F_EMPTY_PATH = 4;

/** `mmap()` protections and flags (x86-64 values). */
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;
export const MAP_PRIVATE = 2;

/** `FD_CLOEXEC` as `fcntl(F_GETFD)` returns it. */
export const FD_CLOEXEC = 1;
