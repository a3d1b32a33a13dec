import { BpfAttachType as A, BpfCmd, BpfProgType as P, encodeLinkCreateAttr, encodeProgLoadAttr, type LinkCreateAttr } from '@bpfkit/uapi';
import { GPL, returning } from './prog-bytes.js';
import type { CaseRunner, SyscallCase } from './runner.js';

/** A pid no process has (above the largest `pid_max`, 2^22). */
const NO_SUCH_PID = 0x3fff_ffff;
/** An address no allocation of either kernel's user memory covers. */
const BAD_ADDR = 8n;

function loadKprobe(r: CaseRunner, step: string, expectedAttachType: number): number | undefined {
  const insns = returning(0);
  const fd = r.call(step, BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
    prog_type: P.BPF_PROG_TYPE_KPROBE, insn_cnt: insns.length / 8, insns: r.mem(insns), license: r.mem(GPL), expected_attach_type: expectedAttachType,
  }));
  return fd === undefined ? undefined : r.own(fd);
}

function cString(r: CaseRunner, s: string): bigint {
  return r.mem(new TextEncoder().encode(`${s}\0`));
}

function u64s(r: CaseRunner, values: readonly bigint[]): bigint {
  const out = new Uint8Array(values.length * 8);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => { v.setBigUint64(i * 8, BigInt.asUintN(64, x), true); });
  return r.mem(out);
}

function linkCreate(r: CaseRunner, step: string, fields: LinkCreateAttr): void {
  const fd = r.call(step, BpfCmd.BPF_LINK_CREATE, encodeLinkCreateAttr(fields));
  if (fd !== undefined) r.close(fd);
}

/**
 * BPF_TRACE_UPROBE_MULTI links on paths both kernels have: a readable /proc file (its
 * uprobe cannot be registered: no page cache, EIO), directories, a path that does not
 * exist, and every check before the registration, in the kernel's order.
 */
const UPROBE_MULTI: SyscallCase = {
  name: 'links: uprobe_multi checks, in order, up to the registration',
  run(r) {
    const up = loadKprobe(r, 'load uprobe_multi program', A.BPF_TRACE_UPROBE_MULTI);
    const plain = loadKprobe(r, 'load plain kprobe program', 0);
    const km = loadKprobe(r, 'load kprobe_multi program', A.BPF_TRACE_KPROBE_MULTI);
    if (up === undefined || plain === undefined || km === undefined) return;
    const file = cString(r, '/proc/self/mountinfo');
    const offsets = u64s(r, [0n]);
    const base = { prog_fd: up, attach_type: A.BPF_TRACE_UPROBE_MULTI, 'uprobe_multi.path': file, 'uprobe_multi.offsets': offsets, 'uprobe_multi.cnt': 1 } as const;
    const at = (step: string, more: LinkCreateAttr): void => { linkCreate(r, step, { ...base, ...more }); };
    at('a /proc file: no page cache to read instructions from', {});
    at('/proc/kallsyms', { 'uprobe_multi.path': cString(r, '/proc/kallsyms') });
    at('the root directory', { 'uprobe_multi.path': cString(r, '/') });
    at('/proc/self, a directory', { 'uprobe_multi.path': cString(r, '/proc/self') });
    at('a path that does not exist', { 'uprobe_multi.path': cString(r, '/nonexistent/bpfkit-uprobe') });
    at('the empty path', { 'uprobe_multi.path': cString(r, '') });
    at('target_fd is not looked at', { target_fd: 3 });
    at('link_create.flags', { flags: 1 });
    at('uprobe_multi.flags beyond RETURN', { 'uprobe_multi.flags': 2 });
    at('bad uprobe_multi.flags before the path', { 'uprobe_multi.flags': 2, 'uprobe_multi.path': cString(r, '/nonexistent/bpfkit-uprobe') });
    at('no path', { 'uprobe_multi.path': 0n });
    at('no offsets', { 'uprobe_multi.offsets': 0n });
    at('no count', { 'uprobe_multi.cnt': 0 });
    at('a negative pid', { 'uprobe_multi.pid': 0xffff_ffff });
    at('more than 2^20 probes', { 'uprobe_multi.cnt': (1 << 20) + 1 });
    at('a path the kernel cannot read', { 'uprobe_multi.path': BAD_ADDR });
    at('a missing path before the pid', { 'uprobe_multi.path': cString(r, '/nonexistent/bpfkit-uprobe'), 'uprobe_multi.pid': NO_SUCH_PID });
    at('a directory before the pid', { 'uprobe_multi.path': cString(r, '/'), 'uprobe_multi.pid': NO_SUCH_PID });
    at('the pid before the offsets', { 'uprobe_multi.pid': NO_SUCH_PID, 'uprobe_multi.offsets': u64s(r, [-1n]) });
    at('a negative offset', { 'uprobe_multi.offsets': u64s(r, [-1n]) });
    at('offsets the kernel cannot read', { 'uprobe_multi.offsets': BAD_ADDR });
    at('cookies the kernel cannot read', { 'uprobe_multi.cookies': BAD_ADDR });
    at('semaphore offsets the kernel cannot read', { 'uprobe_multi.ref_ctr_offsets': BAD_ADDR });
    at('the second offset negative, the first cookie unreadable', { 'uprobe_multi.cnt': 2, 'uprobe_multi.offsets': u64s(r, [0n, -1n]), 'uprobe_multi.cookies': BAD_ADDR });
    at('a program not loaded for uprobe_multi', { prog_fd: plain });
    at('a kprobe_multi program', { prog_fd: km });
    at('BPF_TRACE_UPROBE_SESSION for a uprobe_multi program', { attach_type: A.BPF_TRACE_UPROBE_SESSION });
    at('BPF_PERF_EVENT for a uprobe_multi program', { attach_type: A.BPF_PERF_EVENT, target_fd: 0 });
  },
};

/** BPF_TRACE_KPROBE_MULTI links: on a kernel without CONFIG_FPROBE (6.18 as built here), EOPNOTSUPP once the attach type fits. */
const KPROBE_MULTI: SyscallCase = {
  name: 'links: kprobe_multi without fprobe',
  run(r) {
    const km = loadKprobe(r, 'load kprobe_multi program', A.BPF_TRACE_KPROBE_MULTI);
    const plain = loadKprobe(r, 'load plain kprobe program', 0);
    const up = loadKprobe(r, 'load uprobe_multi program', A.BPF_TRACE_UPROBE_MULTI);
    if (km === undefined || plain === undefined || up === undefined) return;
    const syms = u64s(r, [cString(r, 'do_sys_openat2')]);
    const base = { prog_fd: km, attach_type: A.BPF_TRACE_KPROBE_MULTI, 'kprobe_multi.syms': syms, 'kprobe_multi.cnt': 1 } as const;
    const at = (step: string, more: LinkCreateAttr): void => { linkCreate(r, step, { ...base, ...more }); };
    at('one function by name', {});
    at('one function by address', { 'kprobe_multi.syms': 0n, 'kprobe_multi.addrs': u64s(r, [0xffff_ffff_8100_0000n]) });
    at('names and addresses together', { 'kprobe_multi.addrs': u64s(r, [0xffff_ffff_8100_0000n]) });
    at('no count', { 'kprobe_multi.cnt': 0 });
    at('bad flags', { 'kprobe_multi.flags': 2 });
    at('a plain kprobe program', { prog_fd: plain });
    at('a uprobe_multi program', { prog_fd: up });
    at('BPF_PERF_EVENT for a kprobe_multi program', { attach_type: A.BPF_PERF_EVENT, target_fd: 0 });
    at('BPF_TRACE_KPROBE_SESSION for a kprobe_multi program', { attach_type: A.BPF_TRACE_KPROBE_SESSION });
  },
};

/** Session links (entry and return in one program): uprobe sessions go through uprobe_multi's checks, kprobe sessions need fprobe. */
const SESSIONS: SyscallCase = {
  name: 'links: uprobe and kprobe sessions',
  run(r) {
    const us = loadKprobe(r, 'load uprobe_session program', A.BPF_TRACE_UPROBE_SESSION);
    const ks = loadKprobe(r, 'load kprobe_session program', A.BPF_TRACE_KPROBE_SESSION);
    if (us === undefined || ks === undefined) return;
    const base = { prog_fd: us, attach_type: A.BPF_TRACE_UPROBE_SESSION, 'uprobe_multi.path': cString(r, '/proc/self/mountinfo'), 'uprobe_multi.offsets': u64s(r, [0n]), 'uprobe_multi.cnt': 1 } as const;
    linkCreate(r, 'uprobe session on a /proc file', base);
    linkCreate(r, 'uprobe session on a directory', { ...base, 'uprobe_multi.path': cString(r, '/') });
    linkCreate(r, 'uprobe session with BPF_F_UPROBE_MULTI_RETURN', { ...base, 'uprobe_multi.flags': 1 });
    linkCreate(r, 'uprobe session program as uprobe_multi', { ...base, attach_type: A.BPF_TRACE_UPROBE_MULTI });
    linkCreate(r, 'kprobe session', { prog_fd: ks, attach_type: A.BPF_TRACE_KPROBE_SESSION, 'kprobe_multi.syms': u64s(r, [cString(r, 'do_sys_openat2')]), 'kprobe_multi.cnt': 1 });
    linkCreate(r, 'kprobe session program as kprobe_multi', { prog_fd: ks, attach_type: A.BPF_TRACE_KPROBE_MULTI, 'kprobe_multi.syms': u64s(r, [cString(r, 'do_sys_openat2')]), 'kprobe_multi.cnt': 1 });
  },
};

/** Multi-probe links: uprobe_multi's checks up to registering the uprobes, kprobe_multi on a kernel without fprobe, sessions. */
export const MULTI_LINK_CASES: readonly SyscallCase[] = [UPROBE_MULTI, KPROBE_MULTI, SESSIONS];
