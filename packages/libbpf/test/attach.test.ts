import { readFileSync } from 'node:fs';
import test from 'ava';
import { isBpfError } from '@bpfkit/kernel-api';
import { createLinuxSyscall, linuxBpfAvailability } from '@bpfkit/linux';
import { BpfObject, bpfLinkGetFdById, type LibbpfHost } from '@bpfkit/libbpf';
import { BUILTIN_KERNEL_CONFIG, createDefaultKernel, hostVmlinuxBtf } from '@bpfkit/kernel/defaults';
import { fixture, simKernel } from './helpers.js';

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
if (linux.available) {
  test('attaching gives the same answers on Linux and on the simulated kernel', (t) => {
    const host = createLinuxSyscall();
    t.deepEqual(coreTrace(host), coreTrace(sim()));
    t.deepEqual(traceRingbuf(host), traceRingbuf(sim()));
  });
  test('attaching a tp/ program gives the same answers on Linux (tracefs mounted) and on the simulated kernel', (t) => {
    const host = createLinuxSyscall();
    const tracefs = errno(() => host.readFile('/sys/kernel/tracing/events/sched/sched_process_exec/id'));
    if (tracefs !== 'ok') {
      t.log(`linux: tp attach not compared, tracefs is not mounted at /sys/kernel/tracing (${tracefs})`);
      t.pass();
      return;
    }
    t.deepEqual(tracepoint(host), tracepoint(sim()));
  });
} else {
  test(`linux: skipped, bpf() is not available here (${linux.error.code}) [attach]`, (t) => {
    t.pass();
  });
}
