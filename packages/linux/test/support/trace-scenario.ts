import { isBpfError, PERF_ATTR_SIZE, PerfAttrOffset as O, type BpfSyscall } from '@bpfkit/kernel-api';
import { BpfAttachType, BpfCmd, BpfProgType, encodeAttr, encodeInfoAttr, encodeMapCreateAttr, encodeProgLoadAttr } from '@bpfkit/uapi';
import { movImm, program, insn } from './bpf-bytes.js';

/** What the scenario needs of a kernel: `Task` and `LinuxSyscall` both are one. */
export interface TraceHost extends BpfSyscall {
  perfEventOpen?(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number): number;
  perfEventIoctl?(fd: number, request: number, arg: number): void;
  readFile?(path: string): string;
}

const SET_BPF = 0x40042408;
const ENABLE = 0x2400;
const PERF_TYPE_TRACEPOINT = 2;

/** One step's outcome: a value, or the errno name. */
export type TraceOutcome = number | string | readonly number[];

/**
 * Tracepoint and uprobe perf events with BPF programs, step by step: event ids from
 * tracefs, perf_event_open errnos, PERF_EVENT_IOC_SET_BPF and BPF_PERF_EVENT links by
 * program type, the shared program array of a tracepoint, link info bytes. Uprobes only
 * on paths the simulated kernel models the same (no regular file: it cannot probe files).
 */
export function runTraceScenario(host: TraceHost): Record<string, TraceOutcome> {
  const out: Record<string, TraceOutcome> = {};
  const fds: number[] = [];
  const open = host.perfEventOpen?.bind(host);
  const ioctl = host.perfEventIoctl?.bind(host);
  const readFile = host.readFile?.bind(host);
  if (open === undefined || ioctl === undefined || readFile === undefined) throw new Error('the host has no perfEventOpen, perfEventIoctl or readFile');
  const step = (name: string, fn: () => TraceOutcome): void => {
    try {
      out[name] = fn();
    } catch (e) {
      if (!isBpfError(e)) throw e;
      out[name] = e.code;
    }
  };
  const keep = (fd: number): number => (fds.push(fd), fd);
  const id = (event: string): number => Number(readFile(`/sys/kernel/tracing/events/${event}/id`).trim());
  const attr = (type: number, config: bigint, config1 = 0n, config2 = 0n): Uint8Array => {
    const b = new Uint8Array(PERF_ATTR_SIZE);
    const v = new DataView(b.buffer);
    v.setUint32(O.type, type, true);
    v.setUint32(O.size, PERF_ATTR_SIZE, true);
    v.setBigUint64(O.config, config, true);
    v.setBigUint64(O.config1, config1, true);
    v.setBigUint64(O.config2, config2, true);
    return b;
  };
  const tp = (event: string, cpu = 0): number => keep(open(attr(PERF_TYPE_TRACEPOINT, BigInt(id(event))), -1, cpu, -1, 8));
  const prog = (type: number): number => keep(host.bpf(BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
    prog_type: type, insn_cnt: 2, insns: host.memory.alloc(program(movImm(0, 0), insn(0x95, 0, 0, 0, 0))), license: host.memory.alloc(new TextEncoder().encode('GPL\0')),
  })));
  const link = (p: number, target: number, cookie = 0n, flags = 0): number => keep(host.bpf(BpfCmd.BPF_LINK_CREATE, encodeAttr(BpfCmd.BPF_LINK_CREATE, {
    prog_fd: p, target_fd: target >>> 0, attach_type: BpfAttachType.BPF_PERF_EVENT, flags, 'perf_event.bpf_cookie': cookie,
  })));
  const str = (s: string): bigint => host.memory.alloc(new TextEncoder().encode(`${s}\0`));
  try {
    step('id sched_switch is a number', () => (Number.isInteger(id('sched/sched_switch')) ? 'ok' : 'nan'));
    step('id of a missing event', () => id('sched/no_such_event'));
    step('tracepoint type file', () => readFile('/sys/bus/event_source/devices/tracepoint/type').trim());
    step('open: bad id', () => (open(attr(PERF_TYPE_TRACEPOINT, 999_999n), -1, 0, -1, 8), 'ok'));
    step('open: pid -1 cpu -1', () => (open(attr(PERF_TYPE_TRACEPOINT, BigInt(id('sched/sched_switch'))), -1, -1, -1, 8), 'ok'));
    step('open: this task, any CPU', () => (keep(open(attr(PERF_TYPE_TRACEPOINT, BigInt(id('sched/sched_switch'))), 0, -1, -1, 8)), 'ok'));
    step('open: no such task', () => (keep(open(attr(PERF_TYPE_TRACEPOINT, BigInt(id('sched/sched_switch'))), 99_999_999, -1, -1, 8)), 'ok'));
    step('open: this task, CPU past the last', () => (keep(open(attr(PERF_TYPE_TRACEPOINT, BigInt(id('sched/sched_switch'))), 0, 4096, -1, 8)), 'ok'));
    const types = { socket_filter: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, kprobe: BpfProgType.BPF_PROG_TYPE_KPROBE, tracepoint: BpfProgType.BPF_PROG_TYPE_TRACEPOINT, perf_event: BpfProgType.BPF_PROG_TYPE_PERF_EVENT };
    for (const [name, type] of Object.entries(types)) {
      const p = prog(type);
      for (const event of ['sched/sched_switch', 'syscalls/sys_enter_execve']) {
        step(`${name} on ${event}: ioctl`, () => (ioctl(tp(event), SET_BPF, p), 'ok'));
        step(`${name} on ${event}: link`, () => (link(p, tp(event)), 'ok'));
      }
    }
    const p = prog(BpfProgType.BPF_PROG_TYPE_TRACEPOINT);
    const p2 = prog(BpfProgType.BPF_PROG_TYPE_TRACEPOINT);
    const e = tp('sched/sched_wakeup');
    step('ioctl SET_BPF', () => (ioctl(e, SET_BPF, p), 'ok'));
    step('ioctl ENABLE', () => (ioctl(e, ENABLE, 0), 'ok'));
    step('ioctl SET_BPF again', () => (ioctl(e, SET_BPF, p2), 'ok'));
    step('link on an event with a program', () => (link(p2, e), 'ok'));
    step('same program, other event of the tracepoint', () => (link(p, tp('sched/sched_wakeup', 1)), 'ok'));
    step('other program, other event', () => (link(p2, tp('sched/sched_wakeup', 1)), 'ok'));
    const e2 = tp('sched/sched_process_exec');
    const map = keep(host.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr({ map_type: 2, key_size: 4, value_size: 4, max_entries: 1 })));
    step('ioctl SET_BPF fd 999', () => (ioctl(e2, SET_BPF, 999), 'ok'));
    step('ioctl SET_BPF map fd', () => (ioctl(e2, SET_BPF, map), 'ok'));
    step('ioctl SET_BPF on a map', () => (ioctl(map, SET_BPF, p), 'ok'));
    step('link flags 1', () => (link(p, e2, 0n, 1), 'ok'));
    step('link target -1', () => (link(p, -1), 'ok'));
    step('link target map', () => (link(p, map), 'ok'));
    let l = -1;
    step('link with cookie', () => ((l = link(p, e2, 0x1234n)), 'ok'));
    const info = (edit: (v: DataView) => void): TraceOutcome => {
      const init = new Uint8Array(64);
      edit(new DataView(init.buffer));
      const buf = host.memory.alloc(init);
      host.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: l, info_len: 64, info: buf }));
      const v = new DataView(host.memory.read(buf, 64).buffer);
      return [v.getUint32(0, true), v.getUint32(16, true), v.getUint32(32, true), Number(v.getBigUint64(40, true))];
    };
    step('link info', () => info(() => undefined));
    const name = host.memory.alloc(64);
    step('link info with a name buffer', () => info((v) => { v.setBigUint64(24, name, true); v.setUint32(32, 64, true); }));
    step('the name', () => new TextDecoder().decode(host.memory.read(name, 18)));
    step('link info, a short buffer', () => info((v) => { v.setBigUint64(24, name, true); v.setUint32(32, 4, true); }));
    step('link info, a length without a buffer', () => info((v) => { v.setUint32(32, 4, true); }));
    const up = (path: bigint, offset = 0n): TraceOutcome => (keep(open(attr(Number(readFile('/sys/bus/event_source/devices/uprobe/type').trim()), 0n, path, offset), -1, 0, -1, 8)), 'ok');
    step('uprobe: no path', () => up(0n));
    step('uprobe: empty path', () => up(str('')));
    step('uprobe: missing path', () => up(str('/nonexistent/bpfkit')));
    step('uprobe: a directory', () => up(str('/proc')));
    step('uprobe retprobe bit', () => readFile('/sys/bus/event_source/devices/uprobe/format/retprobe').trim());
  } finally {
    for (const fd of fds.reverse()) {
      try {
        host.close(fd);
      } catch {
        // already closed
      }
    }
  }
  return out;
}
