import { BpfCmd, BpfMapType as M, BpfProgType as P, decodeAttrGroup, encodeAttrGroup, encodeInfoAttr, encodeProgLoadAttr } from '@bpfkit/uapi';
import { hex, lookup, mapCreate, u32 } from './ops.js';
import { GPL, counter, exit, insn, load, movImm, packet, returning, testRun } from './prog-bytes.js';
import type { SyscallCase } from './runner.js';

/** BPF_PROG_TEST_RUN of XDP and socket filter programs, its attr checks and its copy-out rules. */
const TEST_RUN: SyscallCase = {
  name: 'prog test run: xdp and socket filter',
  run(r) {
    const xdp = load(r, 'load xdp returning XDP_PASS', P.BPF_PROG_TYPE_XDP, returning(2));
    const sk = load(r, 'load socket filter returning 0', P.BPF_PROG_TYPE_SOCKET_FILTER, returning(0));
    const kp = load(r, 'load kprobe returning 0', P.BPF_PROG_TYPE_KPROBE, returning(0));
    if (xdp === undefined || sk === undefined || kp === undefined) return;
    testRun(r, 'xdp with a 64-byte packet', xdp, { data: packet(64) });
    testRun(r, 'xdp repeat 0 runs once', xdp, { data: packet(64), repeat: 0 });
    testRun(r, 'xdp repeat 10', xdp, { data: packet(64), repeat: 10 });
    testRun(r, 'xdp with data_size_out 10 (ENOSPC after the copy)', xdp, { data: packet(64), sizeOut: 10 });
    testRun(r, 'xdp with a 10-byte packet (shorter than ETH_HLEN)', xdp, { data: packet(10) });
    testRun(r, 'xdp without a packet', xdp, {});
    testRun(r, 'xdp with BPF_F_TEST_RUN_ON_CPU', xdp, { data: packet(64), flags: 1 });
    testRun(r, 'xdp with ctx_size_in but no ctx_in', xdp, { data: packet(64), ctxSizeIn: 24 });
    testRun(r, 'socket filter with a 64-byte packet', sk, { data: packet(64) });
    const badOut = encodeAttrGroup('test', { prog_fd: xdp, data_in: r.mem(packet(64)), data_size_in: 64, data_out: 1n, data_size_out: 64, repeat: 1 });
    r.call('xdp with data_out at address 1', BpfCmd.BPF_PROG_TEST_RUN, badOut, () => ({ retval: decodeAttrGroup('test', badOut).retval }));
    const badIn = encodeAttrGroup('test', { prog_fd: xdp, data_in: 1n, data_size_in: 64, repeat: 1 });
    r.call('xdp with data_in at address 1', BpfCmd.BPF_PROG_TEST_RUN, badIn);
    testRun(r, 'socket filter with cpu 1 but no flag', sk, { data: packet(64), cpu: 1 });
    testRun(r, 'kprobe (no test run)', kp, { data: packet(64) });
    testRun(r, 'prog_fd 9999', 9999, { data: packet(64) });
    const m = mapCreate(r, 'create an array', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 1 });
    if (m === undefined) return;
    testRun(r, 'prog_fd is a map', m, { data: packet(64) });
    const count = load(r, 'load an xdp program counting runs in the array', P.BPF_PROG_TYPE_XDP, counter(m), 'counter');
    if (count === undefined) return;
    testRun(r, 'counter with repeat 3', count, { data: packet(64), repeat: 3 });
    lookup(r, 'the array counts 3 runs', m, u32(0), 8);
    testRun(r, 'counter with repeat 1', count, { data: packet(64) });
    lookup(r, 'the array counts 4 runs', m, u32(0), 8);
  },
};

/** Test runs of other program types: what each accepts and reports. */
const MORE_TEST_RUNS: SyscallCase = {
  name: 'prog test run: tc, raw tracepoint and socket filter contexts',
  run(r) {
    const tc = load(r, 'load sched_cls returning TC_ACT_OK', P.BPF_PROG_TYPE_SCHED_CLS, returning(0));
    const rawTp = load(r, 'load raw_tracepoint returning 7', P.BPF_PROG_TYPE_RAW_TRACEPOINT, returning(7));
    if (tc === undefined || rawTp === undefined) return;
    testRun(r, 'sched_cls with a 64-byte packet', tc, { data: packet(64) });
    testRun(r, 'sched_cls with a 10-byte packet', tc, { data: packet(10) });
    const ctxOut = r.mem(256);
    const a = encodeAttrGroup('test', {
      prog_fd: tc, data_in: r.mem(packet(64)), data_size_in: 64, data_out: r.mem(256), data_size_out: 256, ctx_out: ctxOut, ctx_size_out: 256, repeat: 1,
    });
    r.call('sched_cls with ctx_out', BpfCmd.BPF_PROG_TEST_RUN, a, () => ({ ctx_size_out: decodeAttrGroup('test', a).ctx_size_out, retval: decodeAttrGroup('test', a).retval }));
    const small = encodeAttrGroup('test', {
      prog_fd: tc, data_in: r.mem(packet(64)), data_size_in: 64, data_out: r.mem(256), data_size_out: 256, ctx_out: r.mem(16), ctx_size_out: 16, repeat: 1,
    });
    r.call('sched_cls with a 16-byte ctx_out', BpfCmd.BPF_PROG_TEST_RUN, small, () => ({ ctx_size_out: decodeAttrGroup('test', small).ctx_size_out }));
    const ctx = encodeAttrGroup('test', { prog_fd: rawTp, ctx_in: r.mem(new Uint8Array(16)), ctx_size_in: 16 });
    r.call('raw_tracepoint with a 16-byte context', BpfCmd.BPF_PROG_TEST_RUN, ctx, () => ({ retval: decodeAttrGroup('test', ctx).retval }));
    testRun(r, 'raw_tracepoint with a packet', rawTp, { data: packet(64) });
    const noCtx = encodeAttrGroup('test', { prog_fd: rawTp });
    r.call('raw_tracepoint without a context', BpfCmd.BPF_PROG_TEST_RUN, noCtx, () => ({ retval: decodeAttrGroup('test', noCtx).retval }));

  },
};

/** A sleepable syscall program writing its context: the context goes back into `ctx_in`. */
const SYSCALL_PROG: SyscallCase = {
  name: 'prog test run: a syscall program writes its context back',
  run(r) {
    const sys = r.call('load a syscall program writing its context', BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
      prog_type: P.BPF_PROG_TYPE_SYSCALL, insn_cnt: 3, prog_flags: 1 << 4, license: r.mem(GPL),
      insns: r.mem(Uint8Array.from([...insn(0x62, 1, 0, 0, 42), ...movImm(0, 7), ...exit()])),
    }));
    if (sys === undefined) return;
    r.own(sys);
    const ctxIn = r.mem(new Uint8Array(8).fill(0xee));
    const run = encodeAttrGroup('test', { prog_fd: sys, ctx_in: ctxIn, ctx_size_in: 8 });
    r.call('syscall program with an 8-byte context', BpfCmd.BPF_PROG_TEST_RUN, run, () => ({ retval: decodeAttrGroup('test', run).retval, ctx_in: hex(r.read(ctxIn, 8)) }));
    const withData = encodeAttrGroup('test', { prog_fd: sys, ctx_in: r.mem(8), ctx_size_in: 8, data_in: r.mem(packet(64)), data_size_in: 64 });
    r.call('syscall program with a packet', BpfCmd.BPF_PROG_TEST_RUN, withData);
    const repeat = encodeAttrGroup('test', { prog_fd: sys, ctx_in: r.mem(8), ctx_size_in: 8, repeat: 2 });
    r.call('syscall program with repeat 2', BpfCmd.BPF_PROG_TEST_RUN, repeat);
  },
};

/** BPF_ENABLE_STATS: runs are counted while a stats fd is open. */
const STATS: SyscallCase = {
  name: 'prog stats: BPF_ENABLE_STATS counts runs',
  run(r) {
    const xdp = load(r, 'load xdp', P.BPF_PROG_TYPE_XDP, returning(2));
    if (xdp === undefined) return;
    const stats = (step: string): void => {
      const buf = r.mem(232);
      r.call(step, BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: xdp, info_len: 232, info: buf }), () => {
        const v = new DataView(r.read(buf, 232).buffer);
        return { run_cnt: Number(v.getBigUint64(200, true)), ranForSomeTime: v.getBigUint64(192, true) > 0n };
      });
    };
    testRun(r, 'a run before stats are on', xdp, { data: packet(64) });
    stats('nothing counted yet');
    r.call('ENABLE_STATS type 1 (unknown)', BpfCmd.BPF_ENABLE_STATS, encodeAttrGroup('enable_stats', { type: 1 }));
    const fd = r.call('ENABLE_STATS BPF_STATS_RUN_TIME', BpfCmd.BPF_ENABLE_STATS, encodeAttrGroup('enable_stats', { type: 0 }));
    if (fd === undefined) return;
    testRun(r, 'three runs with stats on', xdp, { data: packet(64), repeat: 3 });
    stats('three runs counted');
    r.close(fd);
    testRun(r, 'a run after the stats fd is closed', xdp, { data: packet(64) });
    stats('still three runs');
  },
};

/** A raw tracepoint run on a chosen CPU (BPF_F_TEST_RUN_ON_CPU) counts in that CPU's slot of a per-CPU array. */
const ON_CPU: SyscallCase = {
  name: 'prog test run: a raw tracepoint on a chosen CPU counts in its per-CPU slot',
  run(r) {
    const m = mapCreate(r, 'create a per-CPU array', { map_type: M.BPF_MAP_TYPE_PERCPU_ARRAY, key_size: 4, value_size: 8, max_entries: 1 });
    if (m === undefined) return;
    const prog = load(r, 'load a raw tracepoint counting in slot 0', P.BPF_PROG_TYPE_RAW_TRACEPOINT, counter(m));
    if (prog === undefined) return;
    const onCpu = (step: string, flags: number, cpu: number): void => {
      const a = encodeAttrGroup('test', { prog_fd: prog, flags, cpu });
      r.call(step, BpfCmd.BPF_PROG_TEST_RUN, a, () => ({ retval: decodeAttrGroup('test', a).retval }));
    };
    onCpu('run on CPU 1', 1, 1);
    onCpu('run on CPU 1 again', 1, 1);
    onCpu('run on CPU 0', 1, 0);
    onCpu('run on CPU 4096 (no such CPU)', 1, 4096);
    onCpu('cpu 1 without BPF_F_TEST_RUN_ON_CPU', 0, 1);
    lookup(r, 'the per-CPU slots', m, u32(0), 8 * r.cpus);
    // Without BPF_F_TEST_RUN_ON_CPU the run happens on whatever CPU the caller is on: only the outcome is compared.
    onCpu('unknown flag 4', 4, 0);
  },
};

/** Program test runs and run statistics, recorded on Linux 6.18. */
export const TEST_RUN_CASES: readonly SyscallCase[] = [TEST_RUN, MORE_TEST_RUNS, SYSCALL_PROG, STATS, ON_CPU];
