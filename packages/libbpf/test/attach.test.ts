import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import test from 'ava';
import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import { BpfCmd } from '@bpfkit/uapi';
import { createLinuxSyscall, linuxBpfAvailability } from '@bpfkit/linux';
import { BpfObject, bpfLinkGetFdById, type LibbpfHost } from '@bpfkit/libbpf';
import { BUILTIN_KERNEL_CONFIG, createDefaultKernel, hostVmlinuxBtf } from '@bpfkit/kernel/defaults';
import { fixture, simKernel } from './helpers.js';
import { sharedObject, withSection } from './support/elf-so.js';

const CORE_TRACE = new Uint8Array(readFileSync(new URL('../../../examples/core_trace.o', import.meta.url)));

function errno(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isBpfError(e)) return e.code;
    throw e;
  }
  return 'ok';
}

/** What attaching core_trace.o's programs gives on one kernel. */
function coreTrace(host: LibbpfHost): Record<string, unknown> {
  const obj = BpfObject.open(CORE_TRACE, { name: 'core_trace', host, possibleCpus: 2 });
  obj.load();
  const raw = obj.program('handle_exec_raw');
  const link = raw.attach();
  const info = link.info();
  const second = raw.attach({ cookie: 7n });
  const out = {
    type: info.type,
    rawTracepoint: info.rawTracepoint,
    progIdIsTheProgram: info.progId === raw.info().id,
    secondCookie: second.info().rawTracepoint?.cookie,
    detach: errno(() => { link.detach(); }),
    update: errno(() => { link.update(raw); }),
    tracepointProgram: errno(() => obj.program('handle_exec').attach()),
    skeletonAttach: errno(() => { obj.attach(); }),
  };
  const id = info.id;
  second.close();
  second.close();
  const afterClose = errno(() => second.info());
  obj.close();
  const linkGone = errno(() => bpfLinkGetFdById(host, id));
  return { ...out, afterClose, linkGone, fdAfterObjectClose: link.fd };
}

/** trace_ringbuf.o: a tp_btf program attached through BPF_LINK_CREATE, and a skeleton attach. */
function traceRingbuf(host: LibbpfHost): Record<string, unknown> {
  // init_task is a variable: the simulated kernel's kallsyms lists functions only, so both kernels get this address.
  const obj = BpfObject.open(fixture('trace_ringbuf'), { name: 'trace_ringbuf', host, possibleCpus: 2, ksymAddresses: { init_task: 0xffff_ffff_8200_0000n } });
  obj.program('sleepy').autoload = false;
  obj.load();
  const kprobe = errno(() => obj.program('kp').attach());
  const notLoaded = errno(() => obj.program('sleepy').attach());
  obj.program('kp').autoattach = false;
  const tp = obj.program('handle_exec').attach({ cookie: 3n });
  const info = tp.info();
  tp.close();
  const skel = errno(() => { obj.attach(); });
  const skelLinks = [...obj.links.keys()];
  obj.close();
  return { kprobe, notLoaded, type: info.type, rawTracepoint: info.rawTracepoint, skel, skelLinks };
}

function sim(): LibbpfHost {
  return simKernel(2).init;
}

test('core_trace.o on the simulated kernel: raw_tp links, info, detach/update errnos, links closed with the object', (t) => {
  const k = simKernel(2);
  const r = coreTrace(k.init);
  t.like(r, {
    type: 1, rawTracepoint: { tpName: 'sched_process_exec', cookie: 0n }, progIdIsTheProgram: true, secondCookie: 7n,
    detach: 'EOPNOTSUPP', update: 'EINVAL', tracepointProgram: 'ok', skeletonAttach: 'EEXIST', afterClose: 'EINVAL',
    linkGone: 'ENOENT', fdAfterObjectClose: -1,
  });
  t.is(k.counts().objects, 0, 'closing the object closed its links, programs and maps');
});

test('trace_ringbuf.o on the simulated kernel: tp_btf through BPF_LINK_CREATE, no kprobe PMU (the reference build has no kprobes)', (t) => {
  t.like(traceRingbuf(sim()), {
    kprobe: 'ENOENT', notLoaded: 'EINVAL', type: 1, rawTracepoint: { tpName: 'sched_process_exec', cookie: 3n }, skel: 'ok', skelLinks: ['handle_exec'],
  });
});

/** fdinfo lines of a link that do not depend on ids or the program's tag. */
function fdinfoOf(host: LibbpfHost, fd: number): string[] {
  const text = host.readFile?.(`/proc/self/fdinfo/${fd}`) ?? '';
  return text.split('\n').filter((l) => /^(link_type|tp_name|event_type|cookie|name|offset):/.test(l));
}

/** core_trace.o's `tp/sched/sched_process_exec` program: a perf event link, its cookie, one attach per tracepoint. */
function tracepoint(host: LibbpfHost): Record<string, unknown> {
  const obj = BpfObject.open(CORE_TRACE, { name: 'core_trace', host, possibleCpus: 2 });
  obj.load();
  const prog = obj.program('handle_exec');
  const link = prog.attach({ cookie: 42n });
  const info = link.info();
  const out = {
    type: info.type,
    progIdIsTheProgram: info.progId === prog.info().id,
    fdinfo: fdinfoOf(host, link.fd),
    again: errno(() => prog.attach()),
    detach: errno(() => { link.detach(); }),
  };
  link.close();
  const reattach = prog.attach();
  const afterReattach = fdinfoOf(host, reattach.fd);
  obj.close();
  return { ...out, afterReattach };
}

test('tp/ sections attach through a perf event and a BPF_PERF_EVENT link; closing the link closes the event', (t) => {
  const k = simKernel(2);
  const before = k.counts().fds;
  t.deepEqual(tracepoint(k.init), {
    type: 7, progIdIsTheProgram: true,
    fdinfo: ['link_type:\tperf', 'tp_name:\tsched_process_exec', 'event_type:\ttracepoint', 'cookie:\t42'],
    again: 'EEXIST', detach: 'EOPNOTSUPP',
    afterReattach: ['link_type:\tperf', 'tp_name:\tsched_process_exec', 'event_type:\ttracepoint', 'cookie:\t0'],
  });
  t.is(k.counts().fds, before, 'every link and perf event fd was closed');
  t.is(k.counts().objects, 0);
});

test('kprobe/ sections on a kernel with kprobe events: a kprobe PMU event on the function; without one, ENOENT as on the reference build', (t) => {
  const k = createDefaultKernel({ cpus: 2, vmlinuxBtf: hostVmlinuxBtf, kernelConfig: `${BUILTIN_KERNEL_CONFIG}CONFIG_KPROBES=y\nCONFIG_KPROBE_EVENTS=y\n` });
  const obj = BpfObject.open(fixture('trace_ringbuf'), { name: 'trace_ringbuf', host: k.init, possibleCpus: 2, ksymAddresses: { init_task: 0xffff_ffff_8200_0000n } });
  for (const p of obj.programs) p.autoload = p.name === 'kp';
  obj.load();
  const link = obj.program('kp').attach({ cookie: 5n });
  t.is(link.info().type, 7);
  t.deepEqual(fdinfoOf(k.init, link.fd), ['link_type:\tperf', 'name:\tdo_sys_open', 'offset:\t0x0', 'event_type:\tkprobe', 'cookie:\t5']);
  obj.close();
  t.is(k.counts().objects, 0);
});

const linux = linuxBpfAvailability();
/** Linux resolves tracepoints and legacy probes through tracefs: without it mounted, its answers say nothing of bpfkit. */
const TRACEFS = existsSync('/sys/kernel/tracing/events');
if (!linux.available) {
  test.skip(`attach on Linux: bpf() is not available here (${linux.error.code})`, () => undefined);
} else if (!TRACEFS) {
  test.skip('attach on Linux: tracefs is not mounted at /sys/kernel/tracing', () => undefined);
} else {
  test('attaching gives the same answers on Linux and on the simulated kernel', (t) => {
    const host = createLinuxSyscall();
    t.deepEqual(coreTrace(host), coreTrace(sim()));
    t.deepEqual(traceRingbuf(host), traceRingbuf(sim()));
  });
  test('attaching a tp/ program gives the same answers on Linux (tracefs mounted) and on the simulated kernel', (t) => {
    const host = createLinuxSyscall();
    t.deepEqual(tracepoint(host), tracepoint(sim()));
  });
}


/** Attaching trace_ringbuf.o's kprobe program renamed to `section` (a uprobe, a ksyscall): the errno and reason, or the link's fdinfo lines. */
function uprobe(host: LibbpfHost, section: string, readBinary?: (path: string) => Uint8Array): unknown {
  const obj = BpfObject.open(withSection(section), { name: 'trace_ringbuf', host, possibleCpus: 2, ksymAddresses: { init_task: 0xffff_ffff_8200_0000n } });
  for (const p of obj.programs) p.autoload = p.name === 'kp';
  obj.load();
  try {
    const link = obj.program('kp').attach({ cookie: 3n, ...(readBinary === undefined ? {} : { readBinary }) });
    return fdinfoOf(host, link.fd);
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return `${e.code} ${e.reason}`;
  } finally {
    obj.close();
  }
}

const LIB = sharedObject([{ name: 'fn0', value: 0x401010 }, { name: 'fn1@@V1', value: 0x401020 }, { name: 'weak', value: 0x401030, bind: 2 }, { name: 'weak', value: 0x401040 }]);

test('uprobe/ sections: the function\'s file offset from the binary\'s symbols, then a uprobe PMU event on the path', (t) => {
  const host = sim();
  const read = (): Uint8Array => LIB;
  t.is(uprobe(host, 'uprobe//tmp/bu:fn0', read), 'ENOENT vfs:no-entry', 'resolved; the simulated kernel has no /tmp/bu');
  t.is(uprobe(host, 'uprobe//tmp/bu:fn9', read), 'ENOENT libbpf:uprobe-no-symbol');
  t.is(uprobe(host, 'uprobe//tmp/bu:fn0'), 'EOPNOTSUPP libbpf:attach-unsupported', 'nothing to read the binary with');
  t.is(uprobe(host, 'uprobe/tmpbuxx:fn0', read), 'ENOENT libbpf:binary-not-found', 'searched on /usr/bin:/usr/sbin, which the simulated kernel does not have');
  t.is(uprobe(host, 'uprobe//tmp/buxxxx', read), 'EINVAL libbpf:bad-uprobe-section');
  t.is(uprobe(host, 'uretprobe//tmp:f+1', read), 'EINVAL libbpf:uretprobe-offset');
  t.is(uprobe(host, 'uprobe//tmp/b:x+0x', read), 'ENOENT libbpf:uprobe-no-symbol', "'x+0x' is a name, not an offset");
  t.is(uprobe(host, 'uprobe//tmpx:fn1+2', read), 'ENOENT vfs:no-entry', 'fn1@@V1 matches fn1');
  t.is(uprobe(host, 'uprobe//tmp:weak+1', read), 'ENOENT vfs:no-entry', 'the global weak wins');
  t.is(uprobe(host, 'uprobe//tmp/bu:fn0', () => sharedObject([{ name: 'fn0', value: 0x401010 }, { name: 'fn0', value: 0x401020 }])), 'EINVAL libbpf:uprobe-elf-format', 'ambiguous');
  t.is(uprobe(host, 'uprobe//tmp/bu:fn0', () => new Uint8Array(16)), 'EINVAL libbpf:uprobe-elf-format');
});

if (linux.available) {
  test('uprobe/ sections on Linux: a uprobe PMU event on the resolved offset of the file', (t) => {
    writeFileSync('/tmp/bu', LIB);
    try {
      const host = createLinuxSyscall();
      t.deepEqual(uprobe(host, 'uprobe//tmp/bu:fn0', () => new Uint8Array(readFileSync('/tmp/bu'))),
        ['link_type:\tperf', 'name:\t/tmp/bu', 'offset:\t0x1010', 'event_type:\tuprobe', 'cookie:\t3']);
      t.is(uprobe(host, 'uprobe//tmp/bu:fn9', () => LIB), 'ENOENT libbpf:uprobe-no-symbol');
      t.is(uprobe(host, 'ksyscall/setresuid'), 'ENOENT linux:append-file', 'no kprobe PMU and no kprobe_events on the reference build');
    } finally {
      rmSync('/tmp/bu', { force: true });
    }
  });
}

test('on a kernel without perf links (libbpf\'s FEAT_PERF_LINK probe fails), tp/ attaches by PERF_EVENT_IOC_SET_BPF and the link is the perf event', (t) => {
  const k = simKernel(2);
  const task = k.init;
  const BPF_PERF_EVENT = 41;
  const host: LibbpfHost = {
    memory: task.memory,
    bpf: (cmd, attr) => {
      if (cmd === BpfCmd.BPF_LINK_CREATE && new DataView(attr.buffer, attr.byteOffset).getUint32(8, true) === BPF_PERF_EVENT) {
        throw new BpfError('EINVAL', 'test:no-perf-link', 'a kernel before perf links');
      }
      return task.bpf(cmd, attr);
    },
    close: (fd) => { task.close(fd); },
    readFile: (path) => task.readFile(path),
    perfEventOpen: (...a) => task.perfEventOpen?.(...a) ?? -1,
    perfEventIoctl: (...a) => { task.perfEventIoctl?.(...a); },
  };
  const before = k.counts().fds;
  const obj = BpfObject.open(CORE_TRACE, { name: 'core_trace', host, possibleCpus: 2 });
  obj.load();
  const prog = obj.program('handle_exec');
  t.is(errno(() => prog.attach({ cookie: 1n })), 'EOPNOTSUPP', 'no cookie without perf links');
  const link = prog.attach();
  t.is(task.readlink(`/proc/self/fd/${link.fd}`), 'anon_inode:[perf_event]');
  t.is(errno(() => prog.attach()), 'EEXIST');
  link.close();
  t.is(errno(() => { prog.attach().close(); }), 'ok', 'closing the event detached the program');
  obj.close();
  t.is(k.counts().fds, before);
  t.is(k.counts().objects, 0);
});

test('ksyscall/ sections: a kprobe on the syscall\'s __x64_sys_ wrapper (libbpf\'s FEAT_SYSCALL_WRAPPER probe); ENOENT without kprobes', (t) => {
  const withKprobes = createDefaultKernel({ cpus: 2, vmlinuxBtf: hostVmlinuxBtf, kernelConfig: `${BUILTIN_KERNEL_CONFIG}CONFIG_KPROBES=y\nCONFIG_KPROBE_EVENTS=y\n` });
  t.deepEqual(uprobe(withKprobes.init, 'ksyscall/setresuid'), ['link_type:\tperf', 'name:\t__x64_sys_setresuid', 'offset:\t0x0', 'event_type:\tkprobe', 'cookie:\t3']);
  t.is(uprobe(withKprobes.init, 'kretsyscall/setuix'), 'ENOENT perf:no-such-symbol');
  t.is(uprobe(sim(), 'ksyscall/setresuid'), 'ENOENT vfs:no-entry', 'no kprobe PMU, and no kprobe_events to fall back on');
});
