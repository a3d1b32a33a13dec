import type { HelperDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType, Errno } from '@bpfkit/uapi';
import { defineHelper } from './define.js';
import { checkMem } from './memory.js';
import { argHi, argLo, argS32, ptrArg, setR0 } from './regs.js';
import { packetArg } from './skb.js';

/** The loopback device, the only one a test run's namespace is known to have: ifindex, MTU, `hard_header_len`. */
const LO = { ifindex: 1, mtu: 65536, hardHeaderLen: 14 } as const;
const BPF_MTU_CHK_SEGS = 1;
const BPF_MTU_CHK_RET_SUCCESS = 0;
const BPF_MTU_CHK_RET_FRAG_NEEDED = 1;
/** `sizeof(struct bpf_fib_lookup)`. */
const FIB_LOOKUP_SIZE = 64;
/** Every `BPF_FIB_LOOKUP_*` flag of 6.18 (DIRECT, OUTPUT, SKIP_NEIGH, TBID, SRC, MARK). */
const FIB_LOOKUP_FLAGS = 0x3f;
const AF_INET = 2;
const AF_INET6 = 10;
/** `BPF_FIB_LKUP_RET_NOT_FWDED`: the simulation has no routes to forward by. */
const BPF_FIB_LKUP_RET_NOT_FWDED = 4;

/**
 * `bpf_check_mtu(ctx, ifindex, mtu_len, len_diff, flags)` against the
 * loopback device (ifindex 0 or 1; others -ENODEV): `*mtu_len` (when
 * non-zero, an L3 length to check instead of the packet's) plus `len_diff`
 * within MTU + hard header is SUCCESS, else FRAG_NEEDED; `*mtu_len` gets the
 * MTU (0 on errors). XDP takes no flags, skbs only `BPF_MTU_CHK_SEGS`.
 */
const checkMtu = defineHelper('check_mtu', (c) => {
  const pkt = packetArg(c, 'bpf_check_mtu');
  const mtuLen = ptrArg(c, 3, 'mtu_len');
  checkMem(c, mtuLen, 4, 'bpf_check_mtu mtu_len');
  const v = c.env.arena.view;
  const asked = v.getUint32(mtuLen, true);
  const diff = argS32(c, 4);
  const flags = argLo(c, 5);
  const xdp = c.env.progType === BpfProgType.BPF_PROG_TYPE_XDP;
  let ret: number;
  let mtu = 0;
  if (argHi(c, 5) !== 0 || (flags & ~(xdp ? 0 : BPF_MTU_CHK_SEGS)) !== 0) ret = -Errno.EINVAL;
  else if ((flags & BPF_MTU_CHK_SEGS) !== 0 && (diff !== 0 || asked !== 0)) ret = -Errno.EINVAL;
  else if (argLo(c, 2) !== 0 && argLo(c, 2) !== LO.ifindex) ret = -Errno.ENODEV;
  else {
    mtu = LO.mtu;
    const len = (asked !== 0 ? asked + LO.hardHeaderLen : pkt.dataEnd() - pkt.data()) + diff;
    ret = len <= mtu + LO.hardHeaderLen ? BPF_MTU_CHK_RET_SUCCESS : BPF_MTU_CHK_RET_FRAG_NEEDED;
  }
  v.setUint32(mtuLen, mtu, true);
  setR0(c, ret);
});

/**
 * `bpf_fib_lookup(ctx, params, plen, flags)`: -EINVAL for a short `params`
 * or unknown flags, -EAFNOSUPPORT for a family other than AF_INET/AF_INET6;
 * with no routing table to consult, every lookup is NOT_FWDED.
 */
const fibLookup = defineHelper('fib_lookup', (c) => {
  packetArg(c, 'bpf_fib_lookup');
  const params = ptrArg(c, 2, 'params');
  const plen = argLo(c, 3);
  checkMem(c, params, plen, 'bpf_fib_lookup params');
  if (plen < FIB_LOOKUP_SIZE) return setR0(c, -Errno.EINVAL);
  if (argHi(c, 4) !== 0 || (argLo(c, 4) & ~FIB_LOOKUP_FLAGS) !== 0) return setR0(c, -Errno.EINVAL);
  const family = c.env.arena.bytes[params] ?? 0;
  if (family !== AF_INET && family !== AF_INET6) return setR0(c, -Errno.EAFNOSUPPORT);
  setR0(c, BPF_FIB_LKUP_RET_NOT_FWDED);
});

/**
 * `check_mtu` and `fib_lookup`.
 *
 * @example
 * for (const h of netHelpers()) registry.set(h.id, h);
 */
export function netHelpers(): HelperDescriptor[] {
  return [checkMtu, fibLookup];
}
