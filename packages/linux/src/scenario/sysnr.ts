/** The system calls a scenario actor makes, by number, for the architectures this package runs on. */
export interface SyscallNumbers {
  readonly read: number;
  readonly write: number;
  readonly close: number;
  readonly fcntl: number;
  readonly openat: number;
  readonly mkdirat: number;
  readonly readlinkat: number;
  readonly statx: number;
  readonly mount: number;
  readonly umount2: number;
  readonly unshare: number;
  readonly setresuid: number;
  readonly setresgid: number;
  readonly getresuid: number;
  readonly getresgid: number;
  readonly capget: number;
  readonly capset: number;
  readonly prctl: number;
  readonly bpf: number;
  readonly move_mount: number;
  readonly fsopen: number;
  readonly fsconfig: number;
  readonly fsmount: number;
  readonly fspick: number;
}

// The new mount API (move_mount .. fspick) has one number on every architecture.
const MOUNT_API = { move_mount: 429, fsopen: 430, fsconfig: 431, fsmount: 432, fspick: 433 } as const;

const X64: SyscallNumbers = {
  read: 0, write: 1, close: 3, fcntl: 72, openat: 257, mkdirat: 258, readlinkat: 267, statx: 332,
  mount: 165, umount2: 166, unshare: 272, setresuid: 117, setresgid: 119, getresuid: 118, getresgid: 120,
  capget: 125, capset: 126, prctl: 157, bpf: 321, ...MOUNT_API,
};

const ARM64: SyscallNumbers = {
  read: 63, write: 64, close: 57, fcntl: 25, openat: 56, mkdirat: 34, readlinkat: 78, statx: 291,
  mount: 40, umount2: 39, unshare: 97, setresuid: 147, setresgid: 149, getresuid: 148, getresgid: 150,
  capget: 90, capset: 91, prctl: 167, bpf: 280, ...MOUNT_API,
};

/** The numbers for this process's architecture, or undefined where the actors are not supported. */
export function syscallNumbers(arch: string = process.arch): SyscallNumbers | undefined {
  if (arch === 'x64') return X64;
  if (arch === 'arm64') return ARM64;
  return undefined;
}
