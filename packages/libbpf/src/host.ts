import type { BpfSyscall, MemoryMapping } from '@bpfkit/kernel-api';

/**
 * What the client needs from a process: `bpf()`, plus `open()` for bpffs paths
 * (token, pins), `mmap()` and `readFile()` when present. A simulated `Task` and
 * `@bpfkit/linux`'s `LinuxSyscall` both satisfy it.
 *
 * @example
 * const host: LibbpfHost = createDefaultKernel().init;
 * const obj = BpfObject.open(bytes, { name: 'xdp_fw', host });
 */
export interface LibbpfHost extends BpfSyscall {
  /** `open(path, flags)`; returns an fd the caller closes with `close`. */
  open?(path: string, flags?: number): number;
  /** `mmap()` of an fd (a `BPF_F_MMAPABLE` map). */
  mmap?(fd: number, length: number, prot: number, flags: number, offset?: number): MemoryMapping;
  /** `munmap()` of a mapping made by {@link mmap}. */
  munmap?(mapping: MemoryMapping): void;
  /** `perf_event_open(attr, pid, cpu, group_fd, flags)`, for perf buffers (`PerfBuffer`). */
  perfEventOpen?(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number): number;
  /** `ioctl(fd, PERF_EVENT_IOC_ENABLE | PERF_EVENT_IOC_DISABLE, arg)` on a perf event fd. */
  perfEventIoctl?(fd: number, request: number, arg: number): void;
  /** A text file of the host (`/sys/devices/system/cpu/possible` for per-CPU values). */
  readFile?(path: string): string;
  /** `faccessat(path, mode, AT_EACCESS)`: returns when the caller may, else throws the errno (uprobe binary search, tracefs probes). */
  access?(path: string, mode: number): void;
  /** An environment variable of the process (`PATH`, `LD_LIBRARY_PATH` for uprobe binary search); undefined when unset. */
  getenv?(name: string): string | undefined;
  /** The bytes of a file (a uprobe's binary, to find its functions); `opts.readBinary` of an attach overrides it. */
  readBinary?(path: string): Uint8Array;
  /** `getpid()`: the process a uprobe with pid 0 filters on. */
  getpid?(): number;
  /** `open(path, O_WRONLY | O_APPEND)` then one `write` of `text` (tracefs' `kprobe_events` for legacy kprobes); the file is not created. */
  appendFile?(path: string, text: string): void;
  /** `read(fd, buf, length)`: the bytes read, fewer at the end (an iterator's fd); empty at end of file. */
  read?(fd: number, length: number): Uint8Array;
  /** The kernel's build configuration text (`/boot/config-$(uname -r)` or `/proc/config.gz`), for `.kconfig` externs. */
  kernelConfig?(): string | undefined;
}
