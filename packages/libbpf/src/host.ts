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
  /** The kernel's build configuration text (`/boot/config-$(uname -r)` or `/proc/config.gz`), for `.kconfig` externs. */
  kernelConfig?(): string | undefined;
}
