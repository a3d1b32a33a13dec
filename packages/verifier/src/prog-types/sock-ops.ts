import type { CtxAccessResult, ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';
import { allow, allowIf, DENY, narrowOk } from './ctx-access.js';

/** `struct bpf_sock_ops` offsets the access rules name. */
const OPS = { reply: 4, skTxhash: 164, bytesReceived: 168, bytesAckedEnd: 184, sk: 184, skbData: 192, skbDataEnd: 200, skbTcpFlags: 212, skbHwtstamp: 216, size: 224 } as const;

/**
 * `sock_ops_is_valid_access`: `reply` and `sk_txhash` are the only writable words; the 64-bit
 * counters and pointers are read whole, `skb_tcp_flags` may be read in part, the rest as u32.
 */
function sockOpsIsValidAccess(off: number, size: number, write: boolean): CtxAccessResult {
  if (off < 0 || off >= OPS.size || off % size !== 0) return DENY;
  if (write) return allowIf((off === OPS.reply || off === OPS.skTxhash) && size === 4);
  if (off >= OPS.bytesReceived && off < OPS.bytesAckedEnd) return allowIf(size === 8);
  if (off >= OPS.sk && off < OPS.sk + 8) return allowIf(off === OPS.sk && size === 8, 'sock_or_null');
  if (off >= OPS.skbData && off < OPS.skbData + 8) return allowIf(off === OPS.skbData && size === 8, 'pkt');
  if (off >= OPS.skbDataEnd && off < OPS.skbDataEnd + 8) return allowIf(off === OPS.skbDataEnd && size === 8, 'pkt_end');
  if (off >= OPS.skbTcpFlags && off < OPS.skbTcpFlags + 4) return allowIf(narrowOk(size, 4));
  if (off >= OPS.skbHwtstamp) return allowIf(off === OPS.skbHwtstamp && size === 8);
  return size === 4 ? allow('scalar') : DENY;
}

/** `BPF_PROG_TYPE_SOCK_OPS`: TCP socket operations. */
export function sockOpsProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_SOCK_OPS,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    returnRange: () => ({ min: 0, max: 1 }),
    isValidAccess: sockOpsIsValidAccess,
  });
}
