import { BpfAttachType, BpfProgType } from '@bpfkit/uapi';

type ProgTypeName = keyof typeof BpfProgType;
type AttachTypeName = keyof typeof BpfAttachType;

/** What a SEC() name says about its program, as libbpf's section table gives it. @example findSecDef('xdp')?.attachType; // 'BPF_XDP' */
export interface SecDef {
  /** The table entry that matched, e.g. `kprobe+` or `xdp.frags`. */
  readonly pattern: string;
  readonly progType: ProgTypeName;
  /** libbpf's expected attach type for the load (`BPF_CGROUP_INET_INGRESS` = 0 when none). */
  readonly attachType: AttachTypeName | undefined;
  /** `BPF_F_SLEEPABLE` at load (`.s` sections, `syscall`). */
  readonly sleepable: boolean;
  /** `BPF_F_XDP_HAS_FRAGS` at load (`xdp.frags*`). */
  readonly xdpFrags: boolean;
}

type Row = readonly [pattern: string, prog: ProgTypeName, attach: AttachTypeName | undefined, flags?: 's' | 'frags'];

// The order is libbpf's: the first matching row wins. `+` = the name or the name then `/…`;
// a trailing `/` = any name with that prefix; anything else must be equal.
const ROWS: readonly Row[] = [
  ['socket', 'BPF_PROG_TYPE_SOCKET_FILTER', undefined],
  ['sk_reuseport/migrate', 'BPF_PROG_TYPE_SK_REUSEPORT', 'BPF_SK_REUSEPORT_SELECT_OR_MIGRATE'],
  ['sk_reuseport', 'BPF_PROG_TYPE_SK_REUSEPORT', 'BPF_SK_REUSEPORT_SELECT'],
  ['kprobe+', 'BPF_PROG_TYPE_KPROBE', undefined],
  ['uprobe+', 'BPF_PROG_TYPE_KPROBE', undefined],
  ['uprobe.s+', 'BPF_PROG_TYPE_KPROBE', undefined, 's'],
  ['kretprobe+', 'BPF_PROG_TYPE_KPROBE', undefined],
  ['uretprobe+', 'BPF_PROG_TYPE_KPROBE', undefined],
  ['uretprobe.s+', 'BPF_PROG_TYPE_KPROBE', undefined, 's'],
  ['kprobe.multi+', 'BPF_PROG_TYPE_KPROBE', 'BPF_TRACE_KPROBE_MULTI'],
  ['kretprobe.multi+', 'BPF_PROG_TYPE_KPROBE', 'BPF_TRACE_KPROBE_MULTI'],
  ['kprobe.session+', 'BPF_PROG_TYPE_KPROBE', 'BPF_TRACE_KPROBE_SESSION'],
  ['uprobe.multi+', 'BPF_PROG_TYPE_KPROBE', 'BPF_TRACE_UPROBE_MULTI'],
  ['uretprobe.multi+', 'BPF_PROG_TYPE_KPROBE', 'BPF_TRACE_UPROBE_MULTI'],
  ['uprobe.session+', 'BPF_PROG_TYPE_KPROBE', 'BPF_TRACE_UPROBE_SESSION'],
  ['uprobe.multi.s+', 'BPF_PROG_TYPE_KPROBE', 'BPF_TRACE_UPROBE_MULTI', 's'],
  ['uretprobe.multi.s+', 'BPF_PROG_TYPE_KPROBE', 'BPF_TRACE_UPROBE_MULTI', 's'],
  ['uprobe.session.s+', 'BPF_PROG_TYPE_KPROBE', 'BPF_TRACE_UPROBE_SESSION', 's'],
  ['ksyscall+', 'BPF_PROG_TYPE_KPROBE', undefined],
  ['kretsyscall+', 'BPF_PROG_TYPE_KPROBE', undefined],
  ['usdt+', 'BPF_PROG_TYPE_KPROBE', undefined],
  ['usdt.s+', 'BPF_PROG_TYPE_KPROBE', undefined, 's'],
  ['tc/ingress', 'BPF_PROG_TYPE_SCHED_CLS', 'BPF_TCX_INGRESS'],
  ['tc/egress', 'BPF_PROG_TYPE_SCHED_CLS', 'BPF_TCX_EGRESS'],
  ['tcx/ingress', 'BPF_PROG_TYPE_SCHED_CLS', 'BPF_TCX_INGRESS'],
  ['tcx/egress', 'BPF_PROG_TYPE_SCHED_CLS', 'BPF_TCX_EGRESS'],
  ['tc', 'BPF_PROG_TYPE_SCHED_CLS', undefined],
  ['classifier', 'BPF_PROG_TYPE_SCHED_CLS', undefined],
  ['action', 'BPF_PROG_TYPE_SCHED_ACT', undefined],
  ['netkit/primary', 'BPF_PROG_TYPE_SCHED_CLS', 'BPF_NETKIT_PRIMARY'],
  ['netkit/peer', 'BPF_PROG_TYPE_SCHED_CLS', 'BPF_NETKIT_PEER'],
  ['tracepoint+', 'BPF_PROG_TYPE_TRACEPOINT', undefined],
  ['tp+', 'BPF_PROG_TYPE_TRACEPOINT', undefined],
  ['raw_tracepoint+', 'BPF_PROG_TYPE_RAW_TRACEPOINT', undefined],
  ['raw_tp+', 'BPF_PROG_TYPE_RAW_TRACEPOINT', undefined],
  ['raw_tracepoint.w+', 'BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE', undefined],
  ['raw_tp.w+', 'BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE', undefined],
  ['tp_btf+', 'BPF_PROG_TYPE_TRACING', 'BPF_TRACE_RAW_TP'],
  ['fentry+', 'BPF_PROG_TYPE_TRACING', 'BPF_TRACE_FENTRY'],
  ['fmod_ret+', 'BPF_PROG_TYPE_TRACING', 'BPF_MODIFY_RETURN'],
  ['fexit+', 'BPF_PROG_TYPE_TRACING', 'BPF_TRACE_FEXIT'],
  ['fentry.s+', 'BPF_PROG_TYPE_TRACING', 'BPF_TRACE_FENTRY', 's'],
  ['fmod_ret.s+', 'BPF_PROG_TYPE_TRACING', 'BPF_MODIFY_RETURN', 's'],
  ['fexit.s+', 'BPF_PROG_TYPE_TRACING', 'BPF_TRACE_FEXIT', 's'],
  ['freplace+', 'BPF_PROG_TYPE_EXT', undefined],
  ['lsm+', 'BPF_PROG_TYPE_LSM', 'BPF_LSM_MAC'],
  ['lsm.s+', 'BPF_PROG_TYPE_LSM', 'BPF_LSM_MAC', 's'],
  ['lsm_cgroup+', 'BPF_PROG_TYPE_LSM', 'BPF_LSM_CGROUP'],
  ['iter+', 'BPF_PROG_TYPE_TRACING', 'BPF_TRACE_ITER'],
  ['iter.s+', 'BPF_PROG_TYPE_TRACING', 'BPF_TRACE_ITER', 's'],
  ['syscall', 'BPF_PROG_TYPE_SYSCALL', undefined, 's'],
  ['xdp.frags/devmap', 'BPF_PROG_TYPE_XDP', 'BPF_XDP_DEVMAP', 'frags'],
  ['xdp/devmap', 'BPF_PROG_TYPE_XDP', 'BPF_XDP_DEVMAP'],
  ['xdp.frags/cpumap', 'BPF_PROG_TYPE_XDP', 'BPF_XDP_CPUMAP', 'frags'],
  ['xdp/cpumap', 'BPF_PROG_TYPE_XDP', 'BPF_XDP_CPUMAP'],
  ['xdp.frags', 'BPF_PROG_TYPE_XDP', 'BPF_XDP', 'frags'],
  ['xdp', 'BPF_PROG_TYPE_XDP', 'BPF_XDP'],
  ['perf_event', 'BPF_PROG_TYPE_PERF_EVENT', undefined],
  ['lwt_in', 'BPF_PROG_TYPE_LWT_IN', undefined],
  ['lwt_out', 'BPF_PROG_TYPE_LWT_OUT', undefined],
  ['lwt_xmit', 'BPF_PROG_TYPE_LWT_XMIT', undefined],
  ['lwt_seg6local', 'BPF_PROG_TYPE_LWT_SEG6LOCAL', undefined],
  ['sockops', 'BPF_PROG_TYPE_SOCK_OPS', 'BPF_CGROUP_SOCK_OPS'],
  ['sk_skb/stream_parser', 'BPF_PROG_TYPE_SK_SKB', 'BPF_SK_SKB_STREAM_PARSER'],
  ['sk_skb/stream_verdict', 'BPF_PROG_TYPE_SK_SKB', 'BPF_SK_SKB_STREAM_VERDICT'],
  ['sk_skb/verdict', 'BPF_PROG_TYPE_SK_SKB', 'BPF_SK_SKB_VERDICT'],
  ['sk_skb', 'BPF_PROG_TYPE_SK_SKB', undefined],
  ['sk_msg', 'BPF_PROG_TYPE_SK_MSG', 'BPF_SK_MSG_VERDICT'],
  ['lirc_mode2', 'BPF_PROG_TYPE_LIRC_MODE2', 'BPF_LIRC_MODE2'],
  ['flow_dissector', 'BPF_PROG_TYPE_FLOW_DISSECTOR', 'BPF_FLOW_DISSECTOR'],
  ['cgroup_skb/ingress', 'BPF_PROG_TYPE_CGROUP_SKB', 'BPF_CGROUP_INET_INGRESS'],
  ['cgroup_skb/egress', 'BPF_PROG_TYPE_CGROUP_SKB', 'BPF_CGROUP_INET_EGRESS'],
  ['cgroup/skb', 'BPF_PROG_TYPE_CGROUP_SKB', undefined],
  ['cgroup/sock_create', 'BPF_PROG_TYPE_CGROUP_SOCK', 'BPF_CGROUP_INET_SOCK_CREATE'],
  ['cgroup/sock_release', 'BPF_PROG_TYPE_CGROUP_SOCK', 'BPF_CGROUP_INET_SOCK_RELEASE'],
  ['cgroup/sock', 'BPF_PROG_TYPE_CGROUP_SOCK', 'BPF_CGROUP_INET_SOCK_CREATE'],
  ['cgroup/post_bind4', 'BPF_PROG_TYPE_CGROUP_SOCK', 'BPF_CGROUP_INET4_POST_BIND'],
  ['cgroup/post_bind6', 'BPF_PROG_TYPE_CGROUP_SOCK', 'BPF_CGROUP_INET6_POST_BIND'],
  ['cgroup/bind4', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_CGROUP_INET4_BIND'],
  ['cgroup/bind6', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_CGROUP_INET6_BIND'],
  ['cgroup/connect4', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_CGROUP_INET4_CONNECT'],
  ['cgroup/connect6', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_CGROUP_INET6_CONNECT'],
  ['cgroup/connect_unix', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_CGROUP_UNIX_CONNECT'],
  ['cgroup/sendmsg4', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_CGROUP_UDP4_SENDMSG'],
  ['cgroup/sendmsg6', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_CGROUP_UDP6_SENDMSG'],
  ['cgroup/sendmsg_unix', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_CGROUP_UNIX_SENDMSG'],
  ['cgroup/recvmsg4', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_CGROUP_UDP4_RECVMSG'],
  ['cgroup/recvmsg6', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_CGROUP_UDP6_RECVMSG'],
  ['cgroup/recvmsg_unix', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_CGROUP_UNIX_RECVMSG'],
  ['cgroup/getpeername4', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_CGROUP_INET4_GETPEERNAME'],
  ['cgroup/getpeername6', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_CGROUP_INET6_GETPEERNAME'],
  ['cgroup/getsockname4', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_CGROUP_INET4_GETSOCKNAME'],
  ['cgroup/getsockname6', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_CGROUP_INET6_GETSOCKNAME'],
  ['cgroup/sysctl', 'BPF_PROG_TYPE_CGROUP_SYSCTL', 'BPF_CGROUP_SYSCTL'],
  ['cgroup/getsockopt', 'BPF_PROG_TYPE_CGROUP_SOCKOPT', 'BPF_CGROUP_GETSOCKOPT'],
  ['cgroup/setsockopt', 'BPF_PROG_TYPE_CGROUP_SOCKOPT', 'BPF_CGROUP_SETSOCKOPT'],
  ['cgroup/dev', 'BPF_PROG_TYPE_CGROUP_DEVICE', 'BPF_CGROUP_DEVICE'],
  ['struct_ops+', 'BPF_PROG_TYPE_STRUCT_OPS', undefined],
  ['struct_ops.s+', 'BPF_PROG_TYPE_STRUCT_OPS', undefined, 's'],
  ['sk_lookup', 'BPF_PROG_TYPE_SK_LOOKUP', 'BPF_SK_LOOKUP'],
  ['netfilter', 'BPF_PROG_TYPE_NETFILTER', 'BPF_NETFILTER'],
];

function matches(pattern: string, name: string): boolean {
  if (pattern.endsWith('+')) {
    const p = pattern.slice(0, -1);
    return name === p || name.startsWith(`${p}/`);
  }
  if (pattern.endsWith('/')) return name.startsWith(pattern);
  return name === pattern;
}

/**
 * libbpf's section table: what a program section name (without the `?`
 * non-autoload prefix) means, or `undefined` when no row matches.
 *
 * @example
 * findSecDef('fentry.s/do_unlinkat');
 * // { pattern: 'fentry.s+', progType: 'BPF_PROG_TYPE_TRACING', attachType: 'BPF_TRACE_FENTRY', sleepable: true, xdpFrags: false }
 */
export function findSecDef(name: string): SecDef | undefined {
  for (const [pattern, progType, attachType, flags] of ROWS) {
    if (matches(pattern, name)) {
      return { pattern, progType, attachType, sleepable: flags === 's', xdpFrags: flags === 'frags' };
    }
  }
  return undefined;
}
