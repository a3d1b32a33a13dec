import test from 'ava';
import { PERF_ATTR_SIZE, PERF_COUNT_SW_BPF_OUTPUT, PERF_EVENT_IOC_ENABLE, PERF_TYPE_SOFTWARE, PerfAttrOffset as O, type Task } from '@bpfkit/kernel-api';
import { BUILTIN_KERNEL_CONFIG, createDefaultKernel } from '@bpfkit/kernel/defaults';
import { BpfAttachType, BpfCmd, BpfProgType as P, encodeAttr, encodeInfoAttr } from '@bpfkit/uapi';
import { arrayMap, errnoOf, insn, loadProg } from './bpf-calls.js';

// Every expected answer below is what Linux 6.18.44 (the reference build: tracefs mounted,
// no CONFIG_KPROBES, uprobe PMU type 8) gave to the same calls from a C program, except the
// kprobe PMU tests, which use a configuration with kprobes (not on the reference machine).

const SET_BPF = 0x40042408;
const SCHED_SWITCH = 372;
const SYS_ENTER_EXECVE = 862;
const UPROBE_TYPE = 8;

function perfAttr(type: number, config: bigint, config1 = 0n, config2 = 0n): Uint8Array {
  const b = new Uint8Array(PERF_ATTR_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(O.type, type, true);
  v.setUint32(O.size, PERF_ATTR_SIZE, true);
  v.setBigUint64(O.config, config, true);
  v.setBigUint64(O.config1, config1, true);
  v.setBigUint64(O.config2, config2, true);
  return b;
}

function open(t: Task, attr: Uint8Array, pid = -1, cpu = 0): number {
  const f = t.perfEventOpen?.bind(t);
  if (f === undefined) throw new Error('no perfEventOpen');
  return f(attr, pid, cpu, -1, 8);
}

const tp = (t: Task, id = SCHED_SWITCH): number => open(t, perfAttr(2, BigInt(id)));
const ioctl = (t: Task, fd: number, req: number, arg: number): void => t.perfEventIoctl?.(fd, req, arg);
const prog = (t: Task, type: number): number => loadProg(t, type, [...insn(0xb7, 0, 0, 0, 0), ...insn(0x95, 0, 0, 0, 0)]);
const link = (t: Task, progFd: number, target: number, flags = 0, attachType: number = BpfAttachType.BPF_PERF_EVENT, cookie = 0n): number =>
  t.bpf(BpfCmd.BPF_LINK_CREATE, encodeAttr(BpfCmd.BPF_LINK_CREATE, { prog_fd: progFd, target_fd: target >>> 0, attach_type: attachType, flags, 'perf_event.bpf_cookie': cookie }));
const result = (fn: () => unknown): string => errnoOf(fn) ?? 'ok';

/** BPF_OBJ_GET_INFO_BY_FD on a link into a 64-byte struct, with `edit` applied first. */
function linkInfo(t: Task, fd: number, edit: (v: DataView) => void = () => undefined): { errno: string; bytes: Uint8Array } {
  const init = new Uint8Array(64);
  edit(new DataView(init.buffer));
  const buf = t.memory.alloc(init);
  const errno = result(() => t.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: fd, info_len: 64, info: buf })));
  return { errno, bytes: t.memory.read(buf, 64) };
}

test('tracefs event ids and the tracing PMUs\' sysfs files, as libbpf reads them', (t) => {
  const k = createDefaultKernel();
  t.is(k.init.readFile('/sys/kernel/tracing/events/sched/sched_switch/id'), `${SCHED_SWITCH}\n`);
  t.is(k.init.readFile('/sys/kernel/debug/tracing/events/syscalls/sys_enter_execve/id'), `${SYS_ENTER_EXECVE}\n`);
  t.is(k.init.readFile('/sys/kernel/tracing/events/sched/sched_process_exec/id'), '365\n');
  t.is(errnoOf(() => k.init.readFile('/sys/kernel/tracing/events/sched/no_such_event/id')), 'ENOENT');
  t.is(errnoOf(() => k.init.readFile('/sys/kernel/tracing/kprobe_events')), 'ENOENT', 'no CONFIG_KPROBE_EVENTS');
  t.is(k.init.readFile('/sys/bus/event_source/devices/tracepoint/type'), '2\n');
  t.is(k.init.readFile('/sys/bus/event_source/devices/uprobe/type'), `${UPROBE_TYPE}\n`);
  t.is(k.init.readFile('/sys/bus/event_source/devices/uprobe/format/retprobe'), 'config:0\n');
  t.is(errnoOf(() => k.init.readFile('/sys/bus/event_source/devices/kprobe/type')), 'ENOENT', 'no kprobe PMU without CONFIG_KPROBE_EVENTS');
});

test('perf_event_open of tracepoint events: the id is the config (EINVAL for none), a CPU or a task is needed', (t) => {
  const k = createDefaultKernel({ cpus: 2 });
  const fd = tp(k.init);
  t.is(k.init.readlink(`/proc/self/fd/${fd}`), 'anon_inode:[perf_event]');
  t.is(errnoOf(() => open(k.init, perfAttr(2, 999_999n))), 'EINVAL');
  t.is(errnoOf(() => open(k.init, perfAttr(2, 0n))), 'EINVAL');
  t.is(errnoOf(() => open(k.init, perfAttr(2, BigInt(SCHED_SWITCH)), -1, -1)), 'EINVAL');
  t.is(errnoOf(() => open(k.init, perfAttr(99, 0n))), 'ENOENT');
  t.is(errnoOf(() => open(k.init, perfAttr(9, 0n))), 'ENOENT', 'no kprobe PMU after the uprobe one');
  t.is(errnoOf(() => open(k.init, perfAttr(2, BigInt(SCHED_SWITCH)), 0, 0)), undefined, 'this task, CPU 0');
  t.is(errnoOf(() => open(k.init, perfAttr(2, BigInt(SCHED_SWITCH)), 1, -1)), undefined, 'task 1, any CPU');
  t.is(errnoOf(() => open(k.init, perfAttr(2, BigInt(SCHED_SWITCH)), 99_999_999, 5)), 'ESRCH');
  t.is(errnoOf(() => open(k.init, perfAttr(2, BigInt(SCHED_SWITCH)), -2, 0)), 'ESRCH');
  t.is(errnoOf(() => open(k.init, perfAttr(2, BigInt(SCHED_SWITCH)), 0, 5)), 'EINVAL');
  t.is(errnoOf(() => open(k.init, perfAttr(2, BigInt(SCHED_SWITCH)), 0, -2)), 'EINVAL');
  t.is(errnoOf(() => open(k.init, perfAttr(2, 999_999n), 0, -1)), 'EINVAL');
});

test('PERF_EVENT_IOC_SET_BPF and BPF_PERF_EVENT links: which program type each event takes', (t) => {
  const k = createDefaultKernel({ cpus: 2 });
  const task = k.init;
  const types: [string, number][] = [
    ['socket_filter', P.BPF_PROG_TYPE_SOCKET_FILTER], ['kprobe', P.BPF_PROG_TYPE_KPROBE], ['tracepoint', P.BPF_PROG_TYPE_TRACEPOINT],
    ['perf_event', P.BPF_PROG_TYPE_PERF_EVENT], ['raw_tracepoint', P.BPF_PROG_TYPE_RAW_TRACEPOINT],
  ];
  const sw = (): number => open(task, perfAttr(PERF_TYPE_SOFTWARE, BigInt(PERF_COUNT_SW_BPF_OUTPUT)));
  const got: Record<string, string[]> = {};
  for (const [name, type] of types) {
    const p = prog(task, type);
    const row: string[] = [];
    for (const make of [() => tp(task), () => tp(task, SYS_ENTER_EXECVE), sw]) {
      const e = make();
      row.push(result(() => { ioctl(task, e, SET_BPF, p); }));
      task.close(e);
      const e2 = make();
      row.push(result(() => link(task, p, e2)));
      task.close(e2);
    }
    got[name] = row;
  }
  const einval = ['EINVAL', 'EINVAL'];
  t.deepEqual(got, {
    socket_filter: [...einval, ...einval, ...einval],
    kprobe: [...einval, ...einval, ...einval],
    tracepoint: ['ok', 'ok', 'ok', 'ok', ...einval],
    perf_event: [...einval, ...einval, 'ok', 'ok'],
    raw_tracepoint: [...einval, ...einval, ...einval],
  });
});

test('one program per perf event; the ioctl\'s and the link\'s argument errnos', (t) => {
  const k = createDefaultKernel({ cpus: 2 });
  const task = k.init;
  const p = prog(task, P.BPF_PROG_TYPE_TRACEPOINT);
  const p2 = prog(task, P.BPF_PROG_TYPE_TRACEPOINT);
  const e = tp(task);
  ioctl(task, e, SET_BPF, p);
  t.is(errnoOf(() => { ioctl(task, e, SET_BPF, p2); }), 'EEXIST');
  t.is(errnoOf(() => link(task, p2, e)), 'EEXIST');
  const e2 = tp(task, SYS_ENTER_EXECVE);
  const l = link(task, p, e2);
  t.is(errnoOf(() => link(task, p2, e2)), 'EEXIST');
  t.is(errnoOf(() => { ioctl(task, e2, SET_BPF, p2); }), 'EEXIST');
  t.is(errnoOf(() => { ioctl(task, e2, PERF_EVENT_IOC_ENABLE, 0); }), undefined);
  const e3 = tp(task);
  const map = arrayMap(task);
  t.is(errnoOf(() => { ioctl(task, e3, SET_BPF, 999); }), 'EBADF');
  t.is(errnoOf(() => { ioctl(task, e3, SET_BPF, -1); }), 'EBADF');
  t.is(errnoOf(() => { ioctl(task, e3, SET_BPF, map); }), 'EINVAL');
  t.is(errnoOf(() => { ioctl(task, map, SET_BPF, p); }), 'ENOTTY');
  t.is(errnoOf(() => link(task, p, e3, 1)), 'EINVAL', 'flags');
  t.is(errnoOf(() => link(task, p, e3, 0, 0)), 'EINVAL', 'attach type 0');
  t.is(errnoOf(() => link(task, p, map)), 'EBADF');
  t.is(errnoOf(() => link(task, p, 999)), 'EBADF');
  t.is(errnoOf(() => link(task, p, -1)), 'EBADF', 'libbpf\'s FEAT_PERF_LINK probe');
  t.is(errnoOf(() => link(task, prog(task, P.BPF_PROG_TYPE_SOCKET_FILTER), -1)), 'EINVAL');
  t.is(errnoOf(() => link(task, prog(task, P.BPF_PROG_TYPE_KPROBE), -1)), 'EBADF');
  t.is(errnoOf(() => task.bpf(BpfCmd.BPF_LINK_DETACH, encodeAttr(BpfCmd.BPF_LINK_DETACH, { link_fd: l }))), 'EOPNOTSUPP');
  t.is(errnoOf(() => task.bpf(BpfCmd.BPF_LINK_UPDATE, encodeAttr(BpfCmd.BPF_LINK_UPDATE, { link_fd: l, new_prog_fd: p2 }))), 'EINVAL');
  task.close(e2);
  t.is(linkInfo(task, l).errno, 'ok', 'the link holds the perf event');
  const before = k.counts().objects;
  task.close(e);
  t.is(k.counts().objects, before, 'the event released the program it was given by ioctl (the fd still holds it)');
});

test('link info and fdinfo of a tracepoint perf link', (t) => {
  const k = createDefaultKernel({ cpus: 2 });
  const task = k.init;
  const p = prog(task, P.BPF_PROG_TYPE_TRACEPOINT);
  const l = link(task, p, tp(task, SYS_ENTER_EXECVE), 0, BpfAttachType.BPF_PERF_EVENT, 0x1234n);
  const plain = linkInfo(task, l);
  const v = new DataView(plain.bytes.buffer);
  t.is(v.getUint32(0, true), 7, 'BPF_LINK_TYPE_PERF_EVENT');
  t.is(v.getUint32(16, true), 5, 'BPF_PERF_EVENT_TRACEPOINT');
  t.is(v.getBigUint64(24, true), 0n);
  t.is(v.getUint32(32, true), 17, "name_len: 'sys_enter_execve' and its NUL");
  t.is(v.getBigUint64(40, true), 0x1234n, 'cookie');
  const name = task.memory.alloc(64);
  const full = linkInfo(task, l, (w) => { w.setBigUint64(24, name, true); w.setUint32(32, 64, true); });
  t.is(full.errno, 'ok');
  t.is(new TextDecoder().decode(task.memory.read(name, 17)), 'sys_enter_execve\0');
  const small = task.memory.alloc(new Uint8Array(8).fill(0x78));
  const short = linkInfo(task, l, (w) => { w.setBigUint64(24, small, true); w.setUint32(32, 4, true); });
  t.is(short.errno, 'ENOSPC');
  t.deepEqual([...task.memory.read(small, 5)], [0x73, 0x79, 0x73, 0, 0x78], "'sys' and a NUL");
  t.is(linkInfo(task, l, (w) => { w.setUint32(32, 4, true); }).errno, 'EINVAL', 'a length without a buffer');
  t.is(linkInfo(task, l, (w) => { w.setBigUint64(24, name, true); }).errno, 'EINVAL', 'a buffer without a length');
  t.regex(task.readFile(`/proc/self/fdinfo/${l}`), /link_type:\tperf\n.*tp_name:\tsys_enter_execve\nevent_type:\ttracepoint\ncookie:\t4660\n$/s);
});

test('uprobe PMU events: the path\'s errnos; the simulated file systems have no page cache to probe (EIO)', (t) => {
  const k = createDefaultKernel({ cpus: 2 });
  const task = k.init;
  const str = (s: string): bigint => task.memory.alloc(new TextEncoder().encode(`${s}\0`));
  const up = (path: bigint, offset = 0n, config = 0n): string => result(() => open(task, perfAttr(UPROBE_TYPE, config, path, offset)));
  t.is(up(0n), 'EINVAL');
  t.is(up(str('')), 'EINVAL');
  t.is(up(8n), 'EFAULT');
  t.is(up(str('/nonexistent')), 'ENOENT');
  t.is(up(str('/proc')), 'EINVAL', 'a directory');
  const map = arrayMap(task);
  task.mkdir('/b');
  task.mount('bpf', '/b', 'bpf', 0, null);
  task.bpf(BpfCmd.BPF_OBJ_PIN, encodeAttr(BpfCmd.BPF_OBJ_PIN, { bpf_fd: map, pathname: str('/b/m') }));
  t.is(up(str('/b/m')), 'EIO', 'like a /proc file on Linux: no read_folio');
});

test('kprobe PMU events on a kernel built with CONFIG_KPROBE_EVENTS: symbols, offsets, retprobes, link info', (t) => {
  const k = createDefaultKernel({ cpus: 2, kernelConfig: `${BUILTIN_KERNEL_CONFIG}CONFIG_KPROBES=y\nCONFIG_KPROBE_EVENTS=y\n` });
  const task = k.init;
  t.is(task.readFile('/sys/bus/event_source/devices/kprobe/type'), '8\n');
  t.is(task.readFile('/sys/bus/event_source/devices/uprobe/type'), '9\n');
  t.is(task.readFile('/sys/bus/event_source/devices/kprobe/format/retprobe'), 'config:0\n');
  const str = (s: string): bigint => task.memory.alloc(new TextEncoder().encode(`${s}\0`));
  const kp = (func: bigint, offset = 0n, config = 0n): number => open(task, perfAttr(8, config, func, offset));
  t.is(errnoOf(() => kp(str('no_such_function'))), 'ENOENT');
  t.is(errnoOf(() => kp(0n)), 'EINVAL', 'neither a name nor an address');
  t.is(errnoOf(() => kp(str('bpf_fentry_test1'), 4n, 1n)), 'ENOENT', 'a kretprobe past the entry');
  t.is(errnoOf(() => kp(8n)), 'EFAULT');
  t.is(errnoOf(() => kp(0n, 0x1234n)), 'EINVAL', 'not kernel text');
  const e = kp(str('bpf_fentry_test1'), 4n);
  t.is(errnoOf(() => link(task, prog(task, P.BPF_PROG_TYPE_TRACEPOINT), e)), 'EINVAL', 'a tracepoint program on a kprobe');
  const l = link(task, prog(task, P.BPF_PROG_TYPE_KPROBE), e, 0, BpfAttachType.BPF_PERF_EVENT, 9n);
  const name = task.memory.alloc(64);
  const info = linkInfo(task, l, (w) => { w.setBigUint64(24, name, true); w.setUint32(32, 64, true); });
  const v = new DataView(info.bytes.buffer);
  t.is(v.getUint32(16, true), 3, 'BPF_PERF_EVENT_KPROBE');
  t.is(v.getUint32(32, true), 17);
  t.is(v.getUint32(36, true), 4, 'offset');
  t.is(v.getBigUint64(40, true), 0xffffffff81000004n, 'address (root reads it)');
  t.is(v.getBigUint64(56, true), 9n, 'cookie');
  t.is(new TextDecoder().decode(task.memory.read(name, 16)), 'bpf_fentry_test1');
  const r = kp(str('bpf_fentry_test1'), 0n, 1n);
  const rl = link(task, prog(task, P.BPF_PROG_TYPE_KPROBE), r);
  t.is(new DataView(linkInfo(task, rl).bytes.buffer).getUint32(16, true), 4, 'BPF_PERF_EVENT_KRETPROBE');
});

test('a tracepoint\'s perf events share its program array: one program once per tracepoint, at most 64', (t) => {
  const k = createDefaultKernel({ cpus: 2 });
  const task = k.init;
  const p = prog(task, P.BPF_PROG_TYPE_TRACEPOINT);
  const p2 = prog(task, P.BPF_PROG_TYPE_TRACEPOINT);
  const e1 = tp(task);
  const e2 = open(task, perfAttr(2, BigInt(SCHED_SWITCH)), -1, 1);
  const e3 = tp(task);
  const l1 = link(task, p, e1);
  t.is(errnoOf(() => link(task, p, e2)), 'EEXIST', 'another CPU, same tracepoint');
  t.is(errnoOf(() => { ioctl(task, e3, SET_BPF, p); }), 'EEXIST');
  t.is(errnoOf(() => link(task, p2, e2)), undefined);
  t.is(errnoOf(() => link(task, p, tp(task, SYS_ENTER_EXECVE))), undefined, 'another tracepoint');
  task.close(l1);
  task.close(e1);
  t.is(errnoOf(() => link(task, p, e3)), undefined, 'free again once the first link is gone');
  let n = 0;
  let last: string | undefined;
  for (; n < 70 && last === undefined; n++) last = errnoOf(() => link(task, prog(task, P.BPF_PROG_TYPE_TRACEPOINT), tp(task, 373)));
  t.is(last, 'E2BIG');
  t.is(n - 1, 64);
});
