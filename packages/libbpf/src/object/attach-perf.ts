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
  /** Runs after both fds are closed: removes a legacy kprobe event. */
  readonly cleanup?: () => void;
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
 * `func+offset`; without the kprobe PMU, a legacy kprobe event (see {@link openLegacyKprobe}).
 * The attachment's `cleanup` removes a legacy event once the link and event are closed.
 */
export function attachKprobe(host: LibbpfHost, p: PerfAttachProgram, func: string, offset: bigint, retprobe: boolean, cookie: bigint): PerfAttachment {
  if (hasProbePmu(host, 'kprobe')) return attachPerfEvent(host, p, openProbeEvent(host, { kind: 'kprobe', retprobe, name: func, offset }), cookie);
  return attachLegacy(host, p, openLegacyKprobe(host, func, offset, retprobe), cookie);
}

function hasProbePmu(host: LibbpfHost, kind: 'kprobe' | 'uprobe'): boolean {
  try {
    probePerfType(host, kind);
    return true;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return false;
  }
}

function appendTo(host: LibbpfHost, path: string, text: string): void {
  const append = host.appendFile?.bind(host);
  if (append === undefined) throw new BpfError('EOPNOTSUPP', 'libbpf:host-cannot', `this host cannot write ${path}: no kprobe PMU, and no legacy kprobe without appendFile`);
  append(path, text);
}

let legacyIndex = 0;

/** libbpf's `gen_probe_legacy_event_name`: `libbpf_<pid>_<n>_<name>_0x<offset>`, every character not a letter or digit made `_`. */
function legacyEventName(host: LibbpfHost, name: string, offset: bigint): string {
  const raw = `libbpf_${host.getpid?.() ?? 0}_${legacyIndex++}_${name}_0x${offset.toString(16)}`;
  return raw.replace(/[^a-zA-Z0-9]/g, '_');
}

/** A legacy probe event: where it is added, its group and name, and the target line after the name. */
interface LegacyProbe {
  readonly kind: 'kprobe' | 'uprobe';
  readonly retprobe: boolean;
  /** `gen_probe_legacy_event_name`'s name part: the function, or the binary's last path component with its `/`. */
  readonly label: string;
  readonly offset: bigint;
  /** `<func>+0x<off>` or `<path>:0x<off>`. */
  readonly target: string;
  readonly pid: number;
}

/**
 * libbpf's `perf_event_{k,u}probe_open_legacy`: appends `p:<group>/<event> <target>`
 * (`r:` and the `kretprobes`/`uretprobes` group for a return probe) to tracefs'
 * `kprobe_events` or `uprobe_events` (its errno: ENOENT on kernels without them), reads
 * the new event's id and opens it as a tracepoint event; a failure after the append
 * removes the event (`-:<group>/<event>`). `remove` deletes it once nothing uses it.
 */
function openLegacyProbe(host: LibbpfHost, probe: LegacyProbe): { perfFd: number; remove: () => void } {
  const events = `${tracefsPath(host)}/${probe.kind}_events`;
  const group = `${probe.kind === 'kprobe' ? 'k' : 'u'}${probe.retprobe ? 'ret' : ''}probes`;
  const event = legacyEventName(host, probe.label, probe.offset);
  appendTo(host, events, `${probe.retprobe ? 'r' : 'p'}:${group}/${event} ${probe.target}`);
  const remove = (): void => { appendTo(host, events, `-:${group}/${event}`); };
  try {
    return { perfFd: openTracepointEvent(host, group, event, probe.pid), remove };
  } catch (e) {
    try {
      remove();
    } catch (cleanupError) {
      if (!isBpfError(cleanupError)) throw cleanupError;
    }
    throw e;
  }
}

/** {@link openLegacyProbe} for a kprobe on `func+offset`. */
export function openLegacyKprobe(host: LibbpfHost, func: string, offset: bigint, retprobe: boolean): { perfFd: number; remove: () => void } {
  return openLegacyProbe(host, { kind: 'kprobe', retprobe, label: func, offset, target: `${func}+0x${offset.toString(16)}`, pid: -1 });
}

/** Attaches to a legacy event, removing it again when the attach fails; the attachment's cleanup removes it after close. */
function attachLegacy(host: LibbpfHost, p: PerfAttachProgram, legacy: { perfFd: number; remove: () => void }, cookie: bigint): PerfAttachment {
  try {
    return { ...attachPerfEvent(host, p, legacy.perfFd, cookie), cleanup: legacy.remove };
  } catch (e) {
    legacy.remove();
    throw e;
  }
}

/**
 * `bpf_program__attach_uprobe_opts` once the function is resolved: a uprobe PMU event on
 * `binaryPath` at `offset` for every process, then {@link attachPerfEvent}; without the
 * uprobe PMU, a legacy `uprobe_events` event (`p:uprobes/libbpf_<pid>_<n>__<binary>_0x<off>
 * <path>:0x<off>`, see {@link openLegacyProbe}), removed again when the link closes.
 */
export function attachUprobe(host: LibbpfHost, p: PerfAttachProgram, binaryPath: string, offset: bigint, retprobe: boolean, cookie: bigint): PerfAttachment {
  if (hasProbePmu(host, 'uprobe')) return attachPerfEvent(host, p, openProbeEvent(host, { kind: 'uprobe', retprobe, name: binaryPath, offset, pid: -1 }), cookie);
  const slash = binaryPath.lastIndexOf('/');
  const label = slash < 0 ? binaryPath : binaryPath.slice(slash);
  return attachLegacy(host, p, openLegacyProbe(host, { kind: 'uprobe', retprobe, label, offset, target: `${binaryPath}:0x${offset.toString(16)}`, pid: -1 }), cookie);
}

const syscallWrapper = new WeakMap<LibbpfHost, boolean>();

/**
 * libbpf's `FEAT_SYSCALL_WRAPPER` probe on x86-64: whether a kprobe on `__x64_sys_bpf`
 * opens (libbpf filters it to its own pid; this one is CPU 0 for every task, as the
 * simulated kernel opens no per-task events). Without a kprobe PMU, whether a legacy
 * kprobe event on it can be added (and removed again). Cached per host.
 */
function hasSyscallWrapper(host: LibbpfHost): boolean {
  const cached = syscallWrapper.get(host);
  if (cached !== undefined) return cached;
  let ok = false;
  const func = '__x64_sys_bpf';
  try {
    if (hasProbePmu(host, 'kprobe')) {
      host.close(openProbeEvent(host, { kind: 'kprobe', retprobe: false, name: func, offset: 0n }));
    } else {
      // libbpf's legacy mode: the wrapper exists when a kprobe event on it can be added.
      const group = 'kprobes';
      const event = legacyEventName(host, func, 0n);
      const events = `${tracefsPath(host)}/kprobe_events`;
      appendTo(host, events, `p:${group}/${event} ${func}+0x0`);
      try {
        appendTo(host, events, `-:${group}/${event}`);
      } catch (e) {
        if (!isBpfError(e)) throw e;
      }
    }
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
