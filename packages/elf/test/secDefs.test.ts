import test from 'ava';
import { findSecDef } from '@bpfkit/elf';

const cases: readonly [string, string, string | undefined, boolean?][] = [
  ['socket', 'BPF_PROG_TYPE_SOCKET_FILTER', undefined],
  ['xdp', 'BPF_PROG_TYPE_XDP', 'BPF_XDP'],
  ['xdp.frags', 'BPF_PROG_TYPE_XDP', 'BPF_XDP'],
  ['xdp/devmap', 'BPF_PROG_TYPE_XDP', 'BPF_XDP_DEVMAP'],
  ['tc', 'BPF_PROG_TYPE_SCHED_CLS', undefined],
  ['classifier', 'BPF_PROG_TYPE_SCHED_CLS', undefined],
  ['tcx/egress', 'BPF_PROG_TYPE_SCHED_CLS', 'BPF_TCX_EGRESS'],
  ['cgroup_skb/egress', 'BPF_PROG_TYPE_CGROUP_SKB', 'BPF_CGROUP_INET_EGRESS'],
  ['cgroup/sock_create', 'BPF_PROG_TYPE_CGROUP_SOCK', 'BPF_CGROUP_INET_SOCK_CREATE'],
  ['cgroup/sock', 'BPF_PROG_TYPE_CGROUP_SOCK', 'BPF_CGROUP_INET_SOCK_CREATE'],
  ['cgroup/connect4', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_CGROUP_INET4_CONNECT'],
  ['kprobe/do_sys_open', 'BPF_PROG_TYPE_KPROBE', undefined],
  ['kretprobe/do_sys_open', 'BPF_PROG_TYPE_KPROBE', undefined],
  ['tracepoint/syscalls/sys_enter_open', 'BPF_PROG_TYPE_TRACEPOINT', undefined],
  ['raw_tracepoint/sched_switch', 'BPF_PROG_TYPE_RAW_TRACEPOINT', undefined],
  ['raw_tp/sched_switch', 'BPF_PROG_TYPE_RAW_TRACEPOINT', undefined],
  ['tp_btf/sched_switch', 'BPF_PROG_TYPE_TRACING', 'BPF_TRACE_RAW_TP'],
  ['fentry/do_unlinkat', 'BPF_PROG_TYPE_TRACING', 'BPF_TRACE_FENTRY'],
  ['fexit/do_unlinkat', 'BPF_PROG_TYPE_TRACING', 'BPF_TRACE_FEXIT'],
  ['fexit.s/do_unlinkat', 'BPF_PROG_TYPE_TRACING', 'BPF_TRACE_FEXIT', true],
  ['lsm/file_open', 'BPF_PROG_TYPE_LSM', 'BPF_LSM_MAC'],
  ['lsm.s/file_open', 'BPF_PROG_TYPE_LSM', 'BPF_LSM_MAC', true],
  ['syscall', 'BPF_PROG_TYPE_SYSCALL', undefined, true],
  ['sk_lookup', 'BPF_PROG_TYPE_SK_LOOKUP', 'BPF_SK_LOOKUP'],
  ['flow_dissector', 'BPF_PROG_TYPE_FLOW_DISSECTOR', 'BPF_FLOW_DISSECTOR'],
];

for (const [name, progType, attachType, sleepable] of cases) {
  test(`SEC("${name}") is ${progType} with ${attachType ?? 'no'} expected attach type`, (t) => {
    const def = findSecDef(name);
    t.deepEqual([def?.progType, def?.attachType, def?.sleepable], [progType, attachType, sleepable ?? false]);
  });
}

test('xdp.frags sets the frags flag, xdp does not', (t) => {
  t.true(findSecDef('xdp.frags')?.xdpFrags);
  t.false(findSecDef('xdp')?.xdpFrags);
});

test('a "+" row matches the bare name or a "/" suffix, not a longer word', (t) => {
  t.is(findSecDef('kprobe')?.pattern, 'kprobe+');
  t.is(findSecDef('kprobex/foo'), undefined);
  t.is(findSecDef('xdpfoo'), undefined);
  t.is(findSecDef('socket/extra'), undefined);
});
