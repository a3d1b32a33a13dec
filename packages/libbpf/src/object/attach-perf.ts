import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import { BpfAttachType as A, BpfCmd, BpfProgType as P, encodeAttr } from '@bpfkit/uapi';
import { bpfProgLoad } from '../commands/prog.js';
import type { LibbpfHost } from '../host.js';
import { openProbeEvent, openTracepointEvent, probePerfType, tracefsPath } from './perf-probe.js';

/** `PERF_EVENT_IOC_ENABLE` and `PERF_EVENT_IOC_SET_BPF` (`_IOW('$', 8, __u32)`). */
const PERF_EVENT_IOC_ENABLE = 0x2400;
const PERF_EVENT_IOC_SET_BPF = 0x40042408;

/** An attached perf event: the fd a link closes (the BPF link, or the event itself when attached by ioctl) and the event. */
export interface PerfAttachment {
  readonly fd: number;
  readonly perfFd: number;
}

/** What the attach needs of the program: its name (for messages) and fd. */
export interface PerfAttachProgram {
  readonly name: string;
  readonly fd: number;
}

const perfLinkSupport = new WeakMap<LibbpfHost, boolean>();

/**
 * libbpf's `FEAT_PERF_LINK` probe: a tracepoint program linked with BPF_PERF_EVENT to fd
 * -1 is EBADF on kernels with perf links (EINVAL before them). Cached per host.
 */
export function supportsPerfLink(host: LibbpfHost): boolean {
  const cached = perfLinkSupport.get(host);
  if (cached !== undefined) return cached;
  let ok = false;
  let progFd = -1;
  try {
    progFd = bpfProgLoad(host, { progType: P.BPF_PROG_TYPE_TRACEPOINT, insns: Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]), license: 'GPL' }).fd;
    const linkFd = host.bpf(BpfCmd.BPF_LINK_CREATE, encodeAttr(BpfCmd.BPF_LINK_CREATE, { prog_fd: progFd, target_fd: 0xffff_ffff, attach_type: A.BPF_PERF_EVENT }));
    host.close(linkFd);
  } catch (e) {
    if (!isBpfError(e)) throw e;
    ok = e.code === 'EBADF';
  } finally {
    if (progFd >= 0) host.close(progFd);
  }
  perfLinkSupport.set(host, ok);
  return ok;
}

function ioctl(host: LibbpfHost, fd: number, request: number, arg: number): void {
  const call = host.perfEventIoctl?.bind(host);
  if (call === undefined) throw new BpfError('EOPNOTSUPP', 'libbpf:host-cannot', 'this host has no perfEventIoctl');
  call(fd, request, arg);
}

/**
 * `bpf_program__attach_perf_event_opts` on an opened event `perfFd` (closed on failure):
 * the program must be loaded (EINVAL); with perf links (see {@link supportsPerfLink})
 * BPF_LINK_CREATE with BPF_PERF_EVENT and the cookie, else PERF_EVENT_IOC_SET_BPF (a
 * cookie is EOPNOTSUPP there); then PERF_EVENT_IOC_ENABLE.
 */
export function attachPerfEvent(host: LibbpfHost, p: PerfAttachProgram, perfFd: number, cookie: bigint): PerfAttachment {
  let linkFd = -1;
  try {
    if (p.fd < 0) throw new BpfError('EINVAL', 'libbpf:prog-not-loaded', `prog '${p.name}': can't attach BPF program without FD (was it loaded?)`);
    if (supportsPerfLink(host)) {
      linkFd = host.bpf(BpfCmd.BPF_LINK_CREATE, encodeAttr(BpfCmd.BPF_LINK_CREATE, {
        prog_fd: p.fd, target_fd: perfFd, attach_type: A.BPF_PERF_EVENT, 'perf_event.bpf_cookie': cookie,
      }));
    } else {
      if (cookie !== 0n) throw new BpfError('EOPNOTSUPP', 'libbpf:perf-cookie', `prog '${p.name}': user context value is not supported`);
      ioctl(host, perfFd, PERF_EVENT_IOC_SET_BPF, p.fd);
    }
    ioctl(host, perfFd, PERF_EVENT_IOC_ENABLE, 0);
    return { fd: linkFd >= 0 ? linkFd : perfFd, perfFd };
  } catch (e) {
    if (linkFd >= 0) host.close(linkFd);
    host.close(perfFd);
    throw e;
  }
}

/** `bpf_program__attach_tracepoint_opts`: the tracepoint's perf event, then {@link attachPerfEvent}. */
export function attachTracepoint(host: LibbpfHost, p: PerfAttachProgram, category: string, name: string, cookie: bigint): PerfAttachment {
  return attachPerfEvent(host, p, openTracepointEvent(host, category, name), cookie);
}

/**
 * `bpf_program__attach_kprobe_opts` (default attach mode): a kprobe PMU event on
 * `func+offset`. Without the kprobe PMU libbpf falls back to a legacy event written to
 * tracefs' `kprobe_events`, which bpfkit's client cannot write: the read of that file
 * gives its errno (ENOENT on kernels without kprobe events), else EOPNOTSUPP.
 */
export function attachKprobe(host: LibbpfHost, p: PerfAttachProgram, func: string, offset: bigint, retprobe: boolean, cookie: bigint): PerfAttachment {
  try {
    probePerfType(host, 'kprobe');
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return legacyKprobe(host, e);
  }
  return attachPerfEvent(host, p, openProbeEvent(host, { kind: 'kprobe', retprobe, name: func, offset }), cookie);
}

function legacyKprobe(host: LibbpfHost, why: BpfError): never {
  const path = `${tracefsPath(host)}/kprobe_events`;
  host.readFile?.(path);
  throw new BpfError('EOPNOTSUPP', 'libbpf:legacy-kprobe', `no kprobe PMU (${why.message}); a legacy kprobe through ${path} is not supported by bpfkit's client`);
}

/**
 * `bpf_program__attach_uprobe_opts` once the function is resolved: a uprobe PMU event on
 * `binaryPath` at `offset` for every process (no legacy `uprobe_events` fallback, as for
 * kprobes), then {@link attachPerfEvent}.
 */
export function attachUprobe(host: LibbpfHost, p: PerfAttachProgram, binaryPath: string, offset: bigint, retprobe: boolean, cookie: bigint): PerfAttachment {
  try {
    probePerfType(host, 'uprobe');
  } catch (e) {
    if (!isBpfError(e)) throw e;
    const path = `${tracefsPath(host)}/uprobe_events`;
    host.readFile?.(path);
    throw new BpfError('EOPNOTSUPP', 'libbpf:legacy-uprobe', `no uprobe PMU (${e.message}); a legacy uprobe through ${path} is not supported by bpfkit's client`);
  }
  return attachPerfEvent(host, p, openProbeEvent(host, { kind: 'uprobe', retprobe, name: binaryPath, offset, pid: -1 }), cookie);
}

const syscallWrapper = new WeakMap<LibbpfHost, boolean>();

/**
 * libbpf's `FEAT_SYSCALL_WRAPPER` probe on x86-64: whether a kprobe on `__x64_sys_bpf`
 * opens (libbpf filters it to its own pid; this one is CPU 0 for every task, as the
 * simulated kernel opens no per-task events). Without a kprobe PMU libbpf tries a legacy
 * kprobe, which this client cannot create: no wrapper. Cached per host.
 */
function hasSyscallWrapper(host: LibbpfHost): boolean {
  const cached = syscallWrapper.get(host);
  if (cached !== undefined) return cached;
  let ok = false;
  try {
    probePerfType(host, 'kprobe');
    host.close(openProbeEvent(host, { kind: 'kprobe', retprobe: false, name: '__x64_sys_bpf', offset: 0n }));
    ok = true;
  } catch (e) {
    if (!isBpfError(e)) throw e;
  }
  syscallWrapper.set(host, ok);
  return ok;
}

/**
 * `bpf_program__attach_ksyscall`: a kprobe on the syscall's x86-64 wrapper
 * (`__x64_sys_<name>`), or `__se_sys_<name>` on kernels without wrappers.
 */
export function attachKsyscall(host: LibbpfHost, p: PerfAttachProgram, syscall: string, retprobe: boolean, cookie: bigint): PerfAttachment {
  const func = hasSyscallWrapper(host) ? `__x64_sys_${syscall}` : `__se_sys_${syscall}`;
  return attachKprobe(host, p, func, 0n, retprobe, cookie);
}
