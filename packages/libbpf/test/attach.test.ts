import { readFileSync } from 'node:fs';
import test from 'ava';
import { isBpfError } from '@bpfkit/kernel-api';
import { createLinuxSyscall, linuxBpfAvailability } from '@bpfkit/linux';
import { BpfObject, bpfLinkGetFdById, type LibbpfHost } from '@bpfkit/libbpf';
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
    detach: 'EOPNOTSUPP', update: 'EINVAL', tracepointProgram: 'EOPNOTSUPP', skeletonAttach: 'EOPNOTSUPP', afterClose: 'EINVAL',
    linkGone: 'ENOENT', fdAfterObjectClose: -1,
  });
  t.is(k.counts().objects, 0, 'closing the object closed its links, programs and maps');
});

test('trace_ringbuf.o on the simulated kernel: tp_btf through BPF_LINK_CREATE, kprobe not attached by the client', (t) => {
  t.like(traceRingbuf(sim()), {
    kprobe: 'EOPNOTSUPP', notLoaded: 'EINVAL', type: 1, rawTracepoint: { tpName: 'sched_process_exec', cookie: 3n }, skel: 'ok', skelLinks: ['handle_exec'],
  });
});

const linux = linuxBpfAvailability();
if (linux.available) {
  test('attaching gives the same answers on Linux and on the simulated kernel', (t) => {
    const host = createLinuxSyscall();
    t.deepEqual(coreTrace(host), coreTrace(sim()));
    t.deepEqual(traceRingbuf(host), traceRingbuf(sim()));
  });
} else {
  test(`linux: skipped, bpf() is not available here (${linux.error.code}) [attach]`, (t) => {
    t.pass();
  });
}
