import type { CtxAccessResult, ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';
import { allow, allowIf, DENY, isField, narrowOk } from './ctx-access.js';

const UDP_RECVMSG = new Set([19, 20, 51]);
const GETNAME = new Set([29, 30, 52, 31, 32, 53]);

/** recvmsg and getpeername/getsockname must return 1; bind may also ask for no port checks (0..3). */
function sockAddrRange(eat: number): { min: number; max: number } {
  if (UDP_RECVMSG.has(eat) || GETNAME.has(eat)) return { min: 1, max: 1 };
  if (eat === 8 || eat === 9) return { min: 0, max: 3 };
  return { min: 0, max: 1 };
}

/** An aligned 8-byte access inside `[start, end)` (the kernel's wide stores to user_ip6/msg_src_ip6). */
const wideOk = (off: number, size: number, start: number, end: number): boolean => size === 8 && off >= start && off + 8 <= end && off % 8 === 0;

/** Attach types whose address family each `bpf_sock_addr` field belongs to. */
const SOCK_ADDR_IP4 = [8, 10, 29, 31, 14, 19], SOCK_ADDR_IP6 = [9, 11, 30, 32, 15, 20];

/** `sock_addr_is_valid_access` over `struct bpf_sock_addr`: address fields per attach type's family. */
function sockAddrIsValidAccess(off: number, size: number, write: boolean, attach: number): CtxAccessResult {
  if (off < 0 || off >= 72 || off % size !== 0) return DENY;
  const userIp4 = isField(off, 4), userIp6 = off >= 8 && off < 24, msgIp4 = isField(off, 40), msgIp6 = off >= 44 && off < 60;
  if ((userIp4 && !SOCK_ADDR_IP4.includes(attach)) || (userIp6 && !SOCK_ADDR_IP6.includes(attach)) || (msgIp4 && attach !== 14) ||
    (msgIp6 && attach !== 15)) return DENY;
  if (userIp4 || userIp6 || msgIp4 || msgIp6 || isField(off, 24)) {
    if (wideOk(off, size, 8, 24) || wideOk(off, size, 44, 60)) return allow('scalar');
    if (write) return allowIf(size === 4);
    return allowIf(narrowOk(size, 4));
  }
  // `sk`: the whole 8-byte pointer or nothing.
  if (off >= 64) return allowIf(!write && size === 8, 'sock');
  return allowIf(!write && size === 4);
}

/** `BPF_PROG_TYPE_CGROUP_SOCK_ADDR`: cgroup bind/connect/sendmsg/recvmsg/getname hooks; the helpers and the return range depend on the hook. */
export function cgroupSockAddrProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    isValidAccess: sockAddrIsValidAccess,
    attachTypes: [8, 9, 10, 11, 49, 29, 30, 52, 31, 32, 53, 14, 15, 50, 19, 20, 51],
    returnRange: (eat) => sockAddrRange(eat),
  });
}
