import { isBpfError } from '@bpfkit/kernel-api';
import { RingBuffer } from '@bpfkit/libbpf';
import { CoreTraceSkeleton } from './skel/core_trace.skel.js';
import { count, type Target } from './target.js';

/**
 * One ring buffer event: `{pid, tgid, ppid, old_pid, source, comm[16]}`.
 *
 * @example
 * const e: ExecEvent = { pid: 0, tgid: 0, ppid: 0, oldPid: 4242, source: 2, comm: '' };
 */
export interface ExecEvent {
  readonly pid: number;
  readonly tgid: number;
  readonly ppid: number;
  readonly oldPid: number;
  readonly source: number;
  readonly comm: string;
}

/**
 * What {@link runCoreTrace} returns (plain JSON).
 *
 * @example
 * const r: CoreTraceResult = runCoreTrace(target);
 * r.tracepointTestRun; // { error: 'ENOTSUPP' }
 */
export interface CoreTraceResult {
  readonly rawTracepoint: { readonly retval: number } | { readonly error: string };
  readonly events: readonly ExecEvent[];
  readonly tracepointTestRun: { readonly retval: number } | { readonly error: string };
  readonly lostEvents: number;
}

function decodeEvent(b: Uint8Array): ExecEvent {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const comm = b.subarray(20, 36);
  const nul = comm.indexOf(0);
  return {
    pid: v.getUint32(0, true),
    tgid: v.getUint32(4, true),
    ppid: v.getUint32(8, true),
    oldPid: v.getUint32(12, true),
    source: v.getUint32(16, true),
    comm: new TextDecoder().decode(nul < 0 ? comm : comm.subarray(0, nul)),
  };
}

function attempt(fn: () => number): { retval: number } | { error: string } {
  try {
    return { retval: fn() };
  } catch (e) {
    if (isBpfError(e)) return { error: e.code };
    throw e;
  }
}

/**
 * The CO-RE tracer: loads both programs (the loader relocates the `task_struct` reads against
 * the kernel's BTF), test-runs the raw tracepoint with a NULL task and `old_pid` 4242, drains
 * the ring buffer, and shows that the tracepoint has no test run.
 *
 * @example
 * runCoreTrace(target).events; // [{ pid: 0, tgid: 0, ppid: 0, oldPid: 4242, source: 2, comm: '' }]
 */
export function runCoreTrace(target: Target, oldPid = 4242): CoreTraceResult {
  const skel = CoreTraceSkeleton.open({ host: target.host, possibleCpus: target.possibleCpus });
  try {
    skel.load();
    const events = skel.maps.events;
    const rb = RingBuffer.open(target.host, events.fd, events.maxEntries);
    try {
      // raw_tp arguments as u64s: (struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
      const ctxIn = new Uint8Array(24);
      new DataView(ctxIn.buffer).setBigUint64(8, BigInt(oldPid), true);
      const rawTracepoint = attempt(() => skel.progs.handle_exec_raw.testRun({ ctxIn }).retval);
      const samples = rb.consume().map(decodeEvent);
      const tracepointTestRun = attempt(() => skel.progs.handle_exec.testRun({}).retval);
      return { rawTracepoint, events: samples, tracepointTestRun, lostEvents: count(skel.bss.lost_events) };
    } finally {
      rb.close();
    }
  } finally {
    skel.close();
  }
}
