import { BpfError } from '@bpfkit/kernel-api';
import { BPF_F_AFTER, BPF_F_BEFORE, BPF_F_ID, BpfAttachType as A, BpfCmd, BpfProgType as P, Capability, decodeLinkCreateAttr } from '@bpfkit/uapi';
import { capDetail, check, checkAttr, traceCheck } from '../bpf/check.js';
import { progGet } from '../bpf/fd-get.js';
import type { BpfObject } from '../bpf/objects.js';
import type { ProgRecord } from '../bpf/prog-record.js';
import { tokenCapable } from '../bpf/token-fd.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { perfLinkAttach, rawTpLinkAttach, tracingProgAttach } from './link-attach.js';
import { iterLinkAttach } from './iter-link.js';
import { uprobeMultiLinkAttach } from './uprobe-multi.js';

/** `attach_type_to_prog_type` (kernel/bpf/syscall.c): the program type an attach type belongs to; absent is UNSPEC. */
const PROG_TYPE_OF_ATTACH = new Map<number, number>([
  ...[A.BPF_CGROUP_INET_INGRESS, A.BPF_CGROUP_INET_EGRESS].map((a) => [a, P.BPF_PROG_TYPE_CGROUP_SKB] as const),
  ...[A.BPF_CGROUP_INET_SOCK_CREATE, A.BPF_CGROUP_INET_SOCK_RELEASE, A.BPF_CGROUP_INET4_POST_BIND, A.BPF_CGROUP_INET6_POST_BIND]
    .map((a) => [a, P.BPF_PROG_TYPE_CGROUP_SOCK] as const),
  ...[
    A.BPF_CGROUP_INET4_BIND, A.BPF_CGROUP_INET6_BIND, A.BPF_CGROUP_INET4_CONNECT, A.BPF_CGROUP_INET6_CONNECT, A.BPF_CGROUP_UNIX_CONNECT,
    A.BPF_CGROUP_INET4_GETPEERNAME, A.BPF_CGROUP_INET6_GETPEERNAME, A.BPF_CGROUP_UNIX_GETPEERNAME, A.BPF_CGROUP_INET4_GETSOCKNAME,
    A.BPF_CGROUP_INET6_GETSOCKNAME, A.BPF_CGROUP_UNIX_GETSOCKNAME, A.BPF_CGROUP_UDP4_SENDMSG, A.BPF_CGROUP_UDP6_SENDMSG,
    A.BPF_CGROUP_UNIX_SENDMSG, A.BPF_CGROUP_UDP4_RECVMSG, A.BPF_CGROUP_UDP6_RECVMSG, A.BPF_CGROUP_UNIX_RECVMSG,
  ].map((a) => [a, P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR] as const),
  [A.BPF_CGROUP_SOCK_OPS, P.BPF_PROG_TYPE_SOCK_OPS],
  [A.BPF_CGROUP_DEVICE, P.BPF_PROG_TYPE_CGROUP_DEVICE],
  [A.BPF_SK_MSG_VERDICT, P.BPF_PROG_TYPE_SK_MSG],
  ...[A.BPF_SK_SKB_STREAM_PARSER, A.BPF_SK_SKB_STREAM_VERDICT, A.BPF_SK_SKB_VERDICT].map((a) => [a, P.BPF_PROG_TYPE_SK_SKB] as const),
  [A.BPF_LIRC_MODE2, P.BPF_PROG_TYPE_LIRC_MODE2],
  [A.BPF_FLOW_DISSECTOR, P.BPF_PROG_TYPE_FLOW_DISSECTOR],
  [A.BPF_CGROUP_SYSCTL, P.BPF_PROG_TYPE_CGROUP_SYSCTL],
  [A.BPF_CGROUP_GETSOCKOPT, P.BPF_PROG_TYPE_CGROUP_SOCKOPT],
  [A.BPF_CGROUP_SETSOCKOPT, P.BPF_PROG_TYPE_CGROUP_SOCKOPT],
  ...[A.BPF_TRACE_ITER, A.BPF_TRACE_RAW_TP, A.BPF_TRACE_FENTRY, A.BPF_TRACE_FEXIT, A.BPF_MODIFY_RETURN]
    .map((a) => [a, P.BPF_PROG_TYPE_TRACING] as const),
  [A.BPF_LSM_MAC, P.BPF_PROG_TYPE_LSM],
  [A.BPF_LSM_CGROUP, P.BPF_PROG_TYPE_LSM],
  [A.BPF_SK_LOOKUP, P.BPF_PROG_TYPE_SK_LOOKUP],
  [A.BPF_XDP, P.BPF_PROG_TYPE_XDP],
  ...[A.BPF_TCX_INGRESS, A.BPF_TCX_EGRESS, A.BPF_NETKIT_PRIMARY, A.BPF_NETKIT_PEER].map((a) => [a, P.BPF_PROG_TYPE_SCHED_CLS] as const),
]);

const KPROBE_LINK_TYPES = new Set<number>([
  A.BPF_PERF_EVENT, A.BPF_TRACE_KPROBE_MULTI, A.BPF_TRACE_KPROBE_SESSION, A.BPF_TRACE_UPROBE_MULTI, A.BPF_TRACE_UPROBE_SESSION,
]);

/** The flags a cgroup link accepts (`BPF_F_LINK_ATTACH_MASK`: where to insert it among the cgroup's programs). */
const CGROUP_LINK_FLAGS = BPF_F_ID | BPF_F_BEFORE | BPF_F_AFTER;

function fail(task: SyscallContext, id: string, errno: 'EINVAL' | 'EBADF' | 'ENODEV' | 'EOPNOTSUPP', reason: `${string}:${string}`, why: string, hint?: string): never {
  traceCheck(task.core, id, false, errno, { pass: why, fail: why }, hint);
  throw new BpfError(errno, reason, why);
}

function notSimulated(what: string): never {
  throw new BpfError('ENOTSUPP', 'kernel:link-not-simulated', `${what} links are not simulated by bpfkit`);
}

/** `bpf_prog_attach_check_attach_type`: whether a program of its type may be linked with `attachType`. */
function checkAttachType(task: SyscallContext, prog: BpfObject, attachType: number): void {
  const core = task.core;
  const p = prog.impl as ProgRecord;
  const detail = (ok: string, bad: string): { pass: string; fail: string } => ({ pass: ok, fail: bad });
  const same = (): void => {
    check(core, 'bpf_prog_attach_check_attach_type', attachType === p.expectedAttachType, 'EINVAL', 'link:attach-type',
      detail(`attach type ${attachType} is the program's expected attach type`, `attach type ${attachType} is not the program's expected attach type ${p.expectedAttachType}`));
  };
  switch (p.progType) {
    case P.BPF_PROG_TYPE_CGROUP_SOCK:
    case P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
    case P.BPF_PROG_TYPE_CGROUP_SOCKOPT:
    case P.BPF_PROG_TYPE_SK_LOOKUP:
      same();
      return;
    case P.BPF_PROG_TYPE_CGROUP_SKB: {
      const token = prog.holds.find((h) => h.kind === 'token');
      // cgroup_skb programs load without CAP_BPF, so the network capability is checked at attach.
      check(core, 'bpf_prog_attach_check_attach_type:CAP_NET_ADMIN', tokenCapable(task, token, Capability.CAP_NET_ADMIN), 'EPERM',
        'caps:missing-CAP_NET_ADMIN', capDetail('attaching a cgroup_skb program needs CAP_NET_ADMIN', token === undefined ? 'in the initial user namespace' : "in the program's token's user namespace"));
      break;
    }
    case P.BPF_PROG_TYPE_EXT:
      return;
    case P.BPF_PROG_TYPE_NETFILTER:
      check(core, 'bpf_prog_attach_check_attach_type', attachType === A.BPF_NETFILTER, 'EINVAL', 'link:attach-type',
        detail('netfilter programs link with BPF_NETFILTER', `netfilter programs link only with BPF_NETFILTER, not ${attachType}`));
      return;
    case P.BPF_PROG_TYPE_PERF_EVENT:
    case P.BPF_PROG_TYPE_TRACEPOINT:
      check(core, 'bpf_prog_attach_check_attach_type', attachType === A.BPF_PERF_EVENT, 'EINVAL', 'link:attach-type',
        detail('perf event link', `tracepoint and perf_event programs link only with BPF_PERF_EVENT, not ${attachType}`));
      return;
    case P.BPF_PROG_TYPE_KPROBE: {
      const multi: readonly number[] = [A.BPF_TRACE_KPROBE_MULTI, A.BPF_TRACE_KPROBE_SESSION, A.BPF_TRACE_UPROBE_MULTI, A.BPF_TRACE_UPROBE_SESSION];
      const pinned = multi.includes(p.expectedAttachType) ? p.expectedAttachType : undefined;
      const ok = pinned === undefined ? KPROBE_LINK_TYPES.has(attachType) : attachType === pinned;
      check(core, 'bpf_prog_attach_check_attach_type', ok, 'EINVAL', 'link:attach-type',
        detail(`kprobe link with attach type ${attachType}`, `a kprobe program loaded for attach type ${p.expectedAttachType} cannot link with ${attachType}`));
      return;
    }
    case P.BPF_PROG_TYPE_SCHED_CLS: {
      const ok = ([A.BPF_TCX_INGRESS, A.BPF_TCX_EGRESS, A.BPF_NETKIT_PRIMARY, A.BPF_NETKIT_PEER] as readonly number[]).includes(attachType);
      check(core, 'bpf_prog_attach_check_attach_type', ok, 'EINVAL', 'link:attach-type',
        detail(`tc link with attach type ${attachType}`, `sched_cls programs link only with tcx or netkit attach types, not ${attachType}`));
      return;
    }
    default:
      break;
  }
  const want = PROG_TYPE_OF_ATTACH.get(attachType);
  check(core, 'bpf_prog_attach_check_attach_type', want !== undefined && want === p.progType, 'EINVAL', 'link:attach-type',
    detail(`attach type ${attachType} belongs to program type ${p.progType}`,
      want === undefined ? `attach type ${attachType} has no program type to link` : `attach type ${attachType} is for program type ${want}, not ${p.progType}`));
}

/** `cgroup_get_from_fd`: the simulated kernel has no cgroup file system, so no fd is a cgroup directory. */
function cgroupLinkAttach(task: SyscallContext, flags: number, targetFd: number): never {
  check(task.core, 'cgroup_bpf_link_attach:flags', (flags & ~CGROUP_LINK_FLAGS) === 0, 'EINVAL', 'link:flags', {
    pass: `flags 0x${flags.toString(16)} are cgroup link flags`,
    fail: `flags 0x${(flags & ~CGROUP_LINK_FLAGS).toString(16)} are not cgroup link flags`,
  });
  return fail(task, 'cgroup_get_from_fd', 'EBADF', 'link:not-a-cgroup', `target_fd ${targetFd} is not a cgroup directory`,
    'bpfkit has no cgroup file system: cgroup programs can be loaded and test-run, not attached');
}

/**
 * BPF_LINK_CREATE (`link_create`): CHECK_ATTR, the program fd, its type against the
 * attach type, then the attach of its kind. Tracing programs (tp_btf, fentry, fexit,
 * fmod_ret, lsm) are linked, and perf_event, tracepoint and kprobe programs to perf
 * events; targets the simulated kernel has none of (cgroups, network devices,
 * namespaces) give the kernel's errno for a target it cannot find.
 */
export function linkCreate(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_LINK_CREATE, bytes);
  const attr = decodeLinkCreateAttr(bytes);
  const attachType = attr.attach_type;
  if (attachType === A.BPF_STRUCT_OPS) notSimulated('struct_ops');
  const { obj: prog, prog: p } = progGet(task, attr.prog_fd, 'link_create');
  // The link's own reference on the program; a failed attach drops it.
  prog.get();
  try {
    checkAttachType(task, prog, attachType);
    switch (p.progType) {
      case P.BPF_PROG_TYPE_CGROUP_SKB:
      case P.BPF_PROG_TYPE_CGROUP_SOCK:
      case P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
      case P.BPF_PROG_TYPE_SOCK_OPS:
      case P.BPF_PROG_TYPE_CGROUP_DEVICE:
      case P.BPF_PROG_TYPE_CGROUP_SYSCTL:
      case P.BPF_PROG_TYPE_CGROUP_SOCKOPT:
        return cgroupLinkAttach(task, attr.flags, attr.target_fd);
      case P.BPF_PROG_TYPE_EXT:
        return tracingProgAttach(task, prog, attr.target_fd, attr.target_btf_id, attr['tracing.cookie'], attachType);
      case P.BPF_PROG_TYPE_LSM:
      case P.BPF_PROG_TYPE_TRACING: {
        check(core, 'link_create:attach_type', attachType === p.expectedAttachType, 'EINVAL', 'link:attach-type', {
          pass: `attach type ${attachType} is the program's expected attach type`,
          fail: `attach type ${attachType} is not the program's expected attach type ${p.expectedAttachType}`,
        });
        if (p.expectedAttachType === A.BPF_TRACE_ITER) return iterLinkAttach(task, prog, attr, attachType);
        if (p.expectedAttachType === A.BPF_LSM_CGROUP) return cgroupLinkAttach(task, attr.flags, attr.target_fd);
        if (p.expectedAttachType === A.BPF_TRACE_RAW_TP) return rawTpLinkAttach(task, prog, 0n, attr['tracing.cookie'], attachType);
        return tracingProgAttach(task, prog, attr.target_fd, attr.target_btf_id, attr['tracing.cookie'], attachType);
      }
      case P.BPF_PROG_TYPE_FLOW_DISSECTOR:
      case P.BPF_PROG_TYPE_SK_LOOKUP:
        return notSimulated('network namespace');
      case P.BPF_PROG_TYPE_SK_MSG:
      case P.BPF_PROG_TYPE_SK_SKB:
        return notSimulated('sockmap');
      case P.BPF_PROG_TYPE_XDP:
        return fail(task, 'bpf_xdp_link_attach', 'EINVAL', 'link:no-such-device', `no network device with ifindex ${attr.target_ifindex}`,
          'bpfkit has no network devices: XDP programs can be test-run, not attached');
      case P.BPF_PROG_TYPE_SCHED_CLS:
        if (attachType === A.BPF_TCX_INGRESS || attachType === A.BPF_TCX_EGRESS) {
          return fail(task, 'tcx_link_attach', 'ENODEV', 'link:no-such-device', `no network device with ifindex ${attr.target_ifindex}`,
            'bpfkit has no network devices: tc programs can be test-run, not attached');
        }
        return fail(task, 'netkit_link_attach', 'EINVAL', 'link:no-such-device', `no netkit device with ifindex ${attr.target_ifindex}`);
      case P.BPF_PROG_TYPE_NETFILTER:
        return notSimulated('netfilter');
      case P.BPF_PROG_TYPE_PERF_EVENT:
      case P.BPF_PROG_TYPE_TRACEPOINT:
        return perfLinkAttach(task, prog, attr.flags, attr.target_fd, attr['perf_event.bpf_cookie'], attachType);
      case P.BPF_PROG_TYPE_KPROBE:
        if (attachType === A.BPF_PERF_EVENT) return perfLinkAttach(task, prog, attr.flags, attr.target_fd, attr['perf_event.bpf_cookie'], attachType);
        if (attachType === A.BPF_TRACE_KPROBE_MULTI || attachType === A.BPF_TRACE_KPROBE_SESSION) {
          return fail(task, 'bpf_kprobe_multi_link_attach', 'EOPNOTSUPP', 'link:no-fprobe', 'kprobe_multi links need CONFIG_FPROBE, which the 6.18 reference build does not set');
        }
        return uprobeMultiLinkAttach(task, p, attr);
      default:
        return fail(task, 'link_create:prog_type', 'EINVAL', 'link:prog-type', `program type ${p.progType} cannot be linked`);
    }
  } catch (e) {
    prog.put();
    throw e;
  }
}
