import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

const UDP_RECVMSG = new Set([19, 20, 51]);
const GETNAME = new Set([29, 30, 52, 31, 32, 53]);

/** recvmsg and getpeername/getsockname must return 1; bind may also ask for no port checks (0..3). */
function sockAddrRange(eat: number): { min: number; max: number } {
  if (UDP_RECVMSG.has(eat) || GETNAME.has(eat)) return { min: 1, max: 1 };
  if (eat === 8 || eat === 9) return { min: 0, max: 3 };
  return { min: 0, max: 1 };
}

/** `BPF_PROG_TYPE_CGROUP_SOCK_ADDR`: cgroup bind/connect/sendmsg/recvmsg/getname hooks; the helpers and the return range depend on the hook. */
export function cgroupSockAddrProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    attachTypes: [8, 9, 10, 11, 49, 29, 30, 52, 31, 32, 53, 14, 15, 50, 19, 20, 51],
    returnRange: (eat) => sockAddrRange(eat),
  });
}
