import { BpfError, PERF_ATTR_SIZE_VER0, PerfAttrOffset } from '@bpfkit/kernel-api';
import { ERRNO_DESCRIPTIONS, errnoName, type ErrnoName } from '@bpfkit/uapi';
import type { NativeBridge } from './native.js';

const PERF_FLAG_FD_CLOEXEC = 8;

/**
 * `perf_event_open()` through the native bridge, with the simulated kernel's
 * contract: `attr` must hold the bytes its `size` field announces (EFAULT
 * otherwise, before the kernel could read past them); every fd is opened
 * close-on-exec. Failures are `BpfError(<errno>, 'linux:perf_event_open')`.
 */
export function linuxPerfEventOpen(native: NativeBridge, attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number): number {
  if (![pid, cpu, groupFd].every((n) => Number.isInteger(n) && n >= -0x8000_0000 && n <= 0x7fff_ffff) || !Number.isInteger(flags) || flags < 0 || flags > 0x7fff_ffff) {
    throw new BpfError('EINVAL', 'linux:perf_event_open', 'perf_event_open arguments must be 32-bit integers');
  }
  if (!(attr instanceof Uint8Array) || attr.length < PerfAttrOffset.size + 4) {
    throw new BpfError('EFAULT', 'linux:perf_event_open', 'perf_event_attr: the bytes do not reach the size field');
  }
  const size = new DataView(attr.buffer, attr.byteOffset, attr.byteLength).getUint32(PerfAttrOffset.size, true);
  // Sizes the kernel refuses without reading further (0 = VER0, below VER0, above a page) pass through for its errno.
  const reads = size === 0 ? PERF_ATTR_SIZE_VER0 : size;
  if (reads >= PERF_ATTR_SIZE_VER0 && reads <= 4096 && attr.length < reads) {
    throw new BpfError('EFAULT', 'linux:perf_event_open', `perf_event_attr size ${reads} reaches past the ${attr.length} bytes given`);
  }
  const r = native.perfEventOpen(attr, pid, cpu, groupFd, flags | PERF_FLAG_FD_CLOEXEC);
  if (r >= 0) return r;
  const code: ErrnoName = errnoName(-r) ?? 'EIO';
  throw new BpfError(code, 'linux:perf_event_open', `perf_event_open(cpu ${cpu}, pid ${pid}) on Linux: ${code} (${ERRNO_DESCRIPTIONS[code]})`);
}

/**
 * `ioctl(fd, PERF_EVENT_IOC_ENABLE | PERF_EVENT_IOC_DISABLE | PERF_EVENT_IOC_SET_BPF, arg)`
 * through the native bridge (other requests are ENOTTY without a call), as the simulated
 * `Task.perfEventIoctl`; for SET_BPF `arg` is a program fd. Failures are
 * `BpfError(<errno>, 'linux:perf_ioctl')`.
 */
export function linuxPerfEventIoctl(native: NativeBridge, fd: number, request: number, arg: number): void {
  if (![fd, request, arg].every((n) => Number.isInteger(n) && n >= -0x8000_0000 && n <= 0x7fff_ffff)) {
    throw new BpfError('EINVAL', 'linux:perf_ioctl', 'ioctl arguments must be 32-bit integers');
  }
  const r = native.perfIoctl(fd, request, arg);
  if (r >= 0) return;
  const code: ErrnoName = errnoName(-r) ?? 'EIO';
  throw new BpfError(code, 'linux:perf_ioctl', `ioctl(fd ${fd}, 0x${(request >>> 0).toString(16)}) on Linux: ${code} (${ERRNO_DESCRIPTIONS[code]})`);
}
