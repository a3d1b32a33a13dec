import type { ProgTypeDescriptor, ProgTypeRegistry } from '@bpfkit/kernel-api';
import { socketFilterProgType } from './socket-filter.js';
import { kprobeProgType } from './kprobe.js';
import { schedClsProgType } from './sched-cls.js';
import { schedActProgType } from './sched-act.js';
import { tracepointProgType } from './tracepoint.js';
import { xdpProgType } from './xdp.js';
import { perfEventProgType } from './perf-event.js';
import { cgroupSkbProgType } from './cgroup-skb.js';
import { cgroupSockProgType } from './cgroup-sock.js';
import { lwtInProgType } from './lwt-in.js';
import { lwtOutProgType } from './lwt-out.js';
import { lwtXmitProgType } from './lwt-xmit.js';
import { sockOpsProgType } from './sock-ops.js';
import { skSkbProgType } from './sk-skb.js';
import { cgroupDeviceProgType } from './cgroup-device.js';
import { skMsgProgType } from './sk-msg.js';
import { rawTracepointProgType } from './raw-tracepoint.js';
import { cgroupSockAddrProgType } from './cgroup-sock-addr.js';
import { lwtSeg6localProgType } from './lwt-seg6local.js';
import { lircMode2ProgType } from './lirc-mode2.js';
import { skReuseportProgType } from './sk-reuseport.js';
import { flowDissectorProgType } from './flow-dissector.js';
import { cgroupSysctlProgType } from './cgroup-sysctl.js';
import { rawTracepointWritableProgType } from './raw-tracepoint-writable.js';
import { cgroupSockoptProgType } from './cgroup-sockopt.js';
import { tracingProgType } from './tracing.js';
import { structOpsProgType } from './struct-ops.js';
import { extProgType } from './ext.js';
import { lsmProgType } from './lsm.js';
import { skLookupProgType } from './sk-lookup.js';
import { syscallProgType } from './syscall.js';
import { netfilterProgType } from './netfilter.js';

/**
 * Every program type of Linux 6.18 with its load-time rules.
 *
 * @example
 * const progTypes = createProgTypes();
 * progTypes.get(9)?.fixupAttachType(0); // 2 (BPF_CGROUP_INET_SOCK_CREATE)
 */
export function createProgTypes(): ProgTypeRegistry {
  const list: readonly ProgTypeDescriptor[] = Object.freeze([
    socketFilterProgType(),
    kprobeProgType(),
    schedClsProgType(),
    schedActProgType(),
    tracepointProgType(),
    xdpProgType(),
    perfEventProgType(),
    cgroupSkbProgType(),
    cgroupSockProgType(),
    lwtInProgType(),
    lwtOutProgType(),
    lwtXmitProgType(),
    sockOpsProgType(),
    skSkbProgType(),
    cgroupDeviceProgType(),
    skMsgProgType(),
    rawTracepointProgType(),
    cgroupSockAddrProgType(),
    lwtSeg6localProgType(),
    lircMode2ProgType(),
    skReuseportProgType(),
    flowDissectorProgType(),
    cgroupSysctlProgType(),
    rawTracepointWritableProgType(),
    cgroupSockoptProgType(),
    tracingProgType(),
    structOpsProgType(),
    extProgType(),
    lsmProgType(),
    skLookupProgType(),
    syscallProgType(),
    netfilterProgType(),
  ]);
  const byType = new Map(list.map((d) => [d.type, d]));
  return Object.freeze({ get: (type: number) => byType.get(type), all: () => list });
}
