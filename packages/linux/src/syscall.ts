import { readFileSync } from 'node:fs';
import { BpfError, type BpfSyscall, type MemoryMapping } from '@bpfkit/kernel-api';
import { BpfCmd, BpfMapType, encodeMapCreateAttr, Errno, errnoName, type ErrnoName } from '@bpfkit/uapi';
import { closeError, openError, syscallError } from './errors.js';
import { linuxAccess, linuxAppendFile, linuxRead, linuxReadBinary } from './files.js';
import { readKernelConfig } from './kernel-config.js';
import { createLinuxUserMemory, type LinuxUserMemory } from './memory.js';
import { loadNativeBridge, type NativeBridge } from './native.js';
import { checkOutPointers, readField } from './out-pointers.js';
import { linuxMmap, type LinuxMapping } from './mmap.js';
import { linuxPerfEventIoctl, linuxPerfEventOpen } from './perf.js';

/** Options of {@link createLinuxSyscall}; every field is optional, unknown fields are rejected. */
export interface LinuxSyscallOptions {
  /**
   * Folder for the compiled bridge (default: `node_modules/.cache/bpfkit-linux`
   * inside the package, else a private folder in the OS temp dir).
   */
  readonly cacheDir?: string;
  /** C compiler used on first use (default `cc`); unused once the bridge is cached. */
  readonly compiler?: string;
  /**
   * Check on creation that `bpf()` is permitted (default `true`). Pass `false` inside a user
   * namespace, where every command may need a BPF token and a plain map create fails with EPERM.
   */
  readonly probe?: boolean;
}

/** `BpfSyscall` on the real kernel; `memory` is real memory of this process. */
export interface LinuxSyscall extends BpfSyscall {
  readonly memory: LinuxUserMemory;
  /** `mmap()` of a map fd (same contract as the simulated kernel's `Task.mmap`); reads and writes are bounds-checked. */
  mmap(fd: number, length: number, prot: number, flags: number, offset?: number): MemoryMapping;
  /** `munmap()` of a mapping made by {@link mmap}. */
  munmap(mapping: MemoryMapping): void;
  /**
   * `perf_event_open(attr, pid, cpu, group_fd, flags)` (same contract as the simulated kernel's
   * `Task.perfEventOpen`; always close-on-exec): the fd, which {@link mmap} maps as a perf ring.
   */
  perfEventOpen(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number): number;
  /** `ioctl(fd, PERF_EVENT_IOC_ENABLE | PERF_EVENT_IOC_DISABLE | PERF_EVENT_IOC_SET_BPF, arg)` (as `Task.perfEventIoctl`; other requests ENOTTY). */
  perfEventIoctl(fd: number, request: number, arg: number): void;
  /**
   * Pins the calling thread (the one that makes every `bpf()` call) to one CPU, or lets it run
   * anywhere again with `-1`. `BPF_PROG_TEST_RUN` of packet programs runs on the caller's CPU,
   * so per-CPU map values land on a known CPU.
   */
  pinCpu(cpu: number): void;
  /** Reads a text file (`/proc/kallsyms` for typeless ksyms), as the simulated `Task.readFile` does. */
  readFile(path: string): string;
  /** `access(path, mode)` (R_OK 4, W_OK 2, X_OK 1); failures are `BpfError(<errno>, 'linux:access')`. For libbpf's uprobe binary search. */
  access(path: string, mode: number): void;
  /** An environment variable of this process (`PATH`, `LD_LIBRARY_PATH`), undefined when unset. */
  getenv(name: string): string | undefined;
  /** This process's pid. */
  getpid(): number;
  /** The bytes of a file (a uprobe's binary). */
  readBinary(path: string): Uint8Array;
  /** `open(path, O_WRONLY | O_APPEND)` (never created), one write of `text`: tracefs' `kprobe_events` for legacy kprobes. */
  appendFile(path: string, text: string): void;
  /** `read(fd, buf, length)`: the bytes read, empty at end of file (a BPF iterator's fd). */
  read(fd: number, length: number): Uint8Array;
  /**
   * The running kernel's build configuration where libbpf looks for it:
   * `/boot/config-$(uname -r)`, else `/proc/config.gz` (decompressed); undefined when neither exists.
   */
  kernelConfig(): string | undefined;
  /**
   * `open(path, flags)` in this process (flags as open(2), default O_RDONLY; O_CLOEXEC is always added),
   * like the simulated kernel's `Task.open`: e.g. a bpffs directory for BPF_TOKEN_CREATE or a pin.
   * Returns the fd ({@link close} it); failures are `BpfError(<errno>, 'linux:open')`.
   */
  open(path: string, flags?: number): number;
}

const KNOWN_OPTIONS = new Set(['cacheDir', 'compiler', 'probe']);

// Where a failed load left its log: read back so BpfError.log carries it, like the simulated kernel.
const LOG_FIELDS: ReadonlyMap<number, readonly [string, string, string]> = new Map([
  [BpfCmd.BPF_PROG_LOAD, ['log_level', 'log_buf', 'log_size'] as const],
  [BpfCmd.BPF_BTF_LOAD, ['btf_log_level', 'btf_log_buf', 'btf_log_size'] as const],
]);

function readLog(cmd: number, attr: Uint8Array, memory: LinuxUserMemory): string | undefined {
  const fields = LOG_FIELDS.get(cmd);
  if (fields === undefined || readField(cmd, attr, fields[0]) === 0n) return undefined;
  const addr = readField(cmd, attr, fields[1]);
  const size = Number(readField(cmd, attr, fields[2]));
  const region = memory.owner(addr, 1);
  if (addr === 0n || region === undefined) return undefined;
  const bytes = memory.read(addr, Math.min(size, Number(region.addr + BigInt(region.size) - addr)));
  const nul = bytes.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}

function probe(native: NativeBridge): void {
  const attr = encodeMapCreateAttr({ map_type: BpfMapType.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 4, max_entries: 1 });
  const r = native.bpf(BpfCmd.BPF_MAP_CREATE, attr);
  if (r >= 0) {
    native.close(r);
    return;
  }
  const e = syscallError(BpfCmd.BPF_MAP_CREATE, -r, undefined);
  const code = e.code === 'EPERM' || e.code === 'EACCES' ? 'EPERM' : 'ENOSYS';
  throw new BpfError(code, 'linux:unavailable', `bpf() is not permitted here: creating a 1-entry array map gave ${e.code} (need root or CAP_BPF, and no seccomp filter on bpf())`, { cause: e });
}

/**
 * `BpfSyscall` on the real Linux kernel. The first call compiles a small
 * Node-API bridge (`native/bpfkit_linux.c`) with `cc` into a cache folder,
 * then checks that `bpf()` is permitted. Throws
 * `BpfError('ENOSYS' | 'EPERM', 'linux:unavailable')` otherwise.
 *
 * File descriptors are this process's own: `close()` them, or pass fds from
 * `fs.openSync` (a bpffs directory, any file) inside attrs.
 *
 * @example
 * const sys = createLinuxSyscall();
 * const bpffs = sys.open('/sys/fs/bpf', O_DIRECTORY); // an fd for BPF_TOKEN_CREATE or BPF_OBJ_PIN paths
 * sys.close(bpffs);
 * const fd = sys.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr({ map_type: BpfMapType.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 1 }));
 * sys.close(fd);
 */
export function createLinuxSyscall(options: LinuxSyscallOptions = {}): LinuxSyscall {
  for (const k of Object.keys(options)) if (!KNOWN_OPTIONS.has(k)) throw new TypeError(`createLinuxSyscall: unknown option ${k}`);
  const native = loadNativeBridge(options);
  if (options.probe !== false) probe(native);
  const memory = createLinuxUserMemory(native);
  const mappings = new Set<LinuxMapping>();
  return {
    memory,
    mmap(fd, length, prot, flags, offset = 0) {
      const m = linuxMmap(native, fd, length, prot, flags, offset);
      mappings.add(m);
      return m;
    },
    munmap(mapping) {
      const m = [...mappings].find((x) => x === mapping);
      if (m === undefined) throw new BpfError('EINVAL', 'linux:munmap', 'not a mapping made by this syscall object');
      mappings.delete(m);
      m.unmap();
    },
    perfEventOpen(attr, pid, cpu, groupFd, flags) {
      return linuxPerfEventOpen(native, attr, pid, cpu, groupFd, flags);
    },
    perfEventIoctl(fd, request, arg) {
      linuxPerfEventIoctl(native, fd, request, arg);
    },
    bpf(cmd, attr) {
      if (!Number.isInteger(cmd) || cmd < -0x8000_0000 || cmd > 0x7fff_ffff) {
        throw new BpfError('EINVAL', 'linux:bad-cmd', `bpf command ${String(cmd)} is not an int`);
      }
      checkOutPointers(cmd, attr, memory);
      const r = native.bpf(cmd, attr);
      if (r < 0) throw syscallError(cmd, -r, readLog(cmd, attr, memory));
      return r;
    },
    open(path, flags = 0) {
      if (typeof path !== 'string' || path.includes('\0')) throw new BpfError('EINVAL', 'linux:open', 'open: path must be a string without NUL bytes');
      if (!Number.isInteger(flags) || flags < 0 || flags > 0x7fff_ffff) throw new BpfError('EINVAL', 'linux:open', `open(${path}): flags ${String(flags)} are not an int`);
      const r = native.open(new TextEncoder().encode(`${path}\0`), flags);
      if (r < 0) throw openError(path, -r);
      return r;
    },
    pinCpu(cpu) {
      if (!Number.isInteger(cpu) || cpu < -1 || cpu > 8191) throw new BpfError('EINVAL', 'linux:pin-cpu', `pinCpu: cpu ${String(cpu)} is not -1 or a CPU number`);
      const r = native.pinCpu(cpu);
      if (r < 0) {
        const code = errnoName(-r) ?? 'EIO';
        throw new BpfError(code, 'linux:pin-cpu', `sched_setaffinity(cpu ${String(cpu)}) on Linux: ${code}`);
      }
    },
    readFile(path) {
      try {
        return readFileSync(path, 'utf8');
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        const name = typeof code === 'string' && code in Errno ? code as ErrnoName : 'EIO';
        throw new BpfError(name, 'linux:read-file', `read ${path} on Linux: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
    kernelConfig() {
      return readKernelConfig();
    },
    access: linuxAccess,
    getenv(name) {
      return process.env[name];
    },
    getpid() {
      return process.pid;
    },
    readBinary: linuxReadBinary,
    appendFile: linuxAppendFile,
    read: linuxRead,
    close(fd) {
      if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fff_ffff) throw new BpfError('EBADF', 'linux:close', `fd ${String(fd)} is not a file descriptor`);
      const r = native.close(fd);
      if (r < 0) throw closeError(fd, -r);
    },
  };
}

/** Whether `bpf()` works here, and if not, the `BpfError` {@link createLinuxSyscall} would throw. */
export type LinuxBpfAvailability = { readonly available: true } | { readonly available: false; readonly error: BpfError };

/**
 * Checks, without throwing, that {@link createLinuxSyscall} would succeed (Linux, the bridge builds, `bpf()` is permitted).
 *
 * @example
 * const a = linuxBpfAvailability();
 * if (!a.available) console.log(`linux: skipped, ${a.error.message}`);
 */
export function linuxBpfAvailability(options: LinuxSyscallOptions = {}): LinuxBpfAvailability {
  try {
    createLinuxSyscall(options);
    return { available: true };
  } catch (e) {
    if (e instanceof BpfError) return { available: false, error: e };
    throw e;
  }
}

/**
 * True when `bpf()` can be called through {@link createLinuxSyscall} here.
 *
 * @example
 * test('map create', (t) => { if (!isLinuxBpfAvailable()) return t.pass(); … });
 */
export function isLinuxBpfAvailable(options: LinuxSyscallOptions = {}): boolean {
  return linuxBpfAvailability(options).available;
}
