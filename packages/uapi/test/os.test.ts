// The ABI constants outside bpf(2), against the values the x86-64 C headers give
// (<fcntl.h>, <sched.h>, <sys/mount.h>, <sys/mman.h>, <linux/mount.h>, printed by a C program).
import test from 'ava';
import * as uapi from '@bpfkit/uapi';

const FROM_C_HEADERS = {
  CLONE_NEWNS: 131072, CLONE_NEWUSER: 268435456, O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 64, O_DIRECTORY: 65536,
  O_CLOEXEC: 524288, O_PATH: 2097152, AT_FDCWD: -100, MS_RDONLY: 1, MS_BIND: 4096, MS_REC: 16384, MS_PRIVATE: 262144,
  FSOPEN_CLOEXEC: 1, FSPICK_CLOEXEC: 1, FSMOUNT_CLOEXEC: 1, MOVE_MOUNT_F_EMPTY_PATH: 4, PROT_READ: 1, PROT_WRITE: 2,
  MAP_SHARED: 1, MAP_PRIVATE: 2, FD_CLOEXEC: 1,
} as const;

test('open, mount, clone, mmap and fcntl constants have the values of the x86-64 headers', (t) => {
  for (const [name, value] of Object.entries(FROM_C_HEADERS)) t.is((uapi as Record<string, unknown>)[name], value, name);
});

test('fsconfig commands are numbered as enum fsconfig_command', (t) => {
  t.deepEqual(Object.values(uapi.FsconfigCmd), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
});
