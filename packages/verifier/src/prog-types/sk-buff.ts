import type { CtxAccessResult } from '@bpfkit/kernel-api';
import { allow, DENY, isField, within } from './ctx-access.js';

/** `struct __sk_buff` field offsets, shared by every program type whose context is an skb. */
export const SKB = {
  mark: 8, queueMapping: 12, priority: 32, tcIndex: 44, cb0: 48, cbEnd: 68, tcClassid: 72, data: 76, dataEnd: 80,
  family: 88, remoteIp4: 92, localIp4: 96, remoteIp6: 100, localIp6: 116, localPortEnd: 140, dataMeta: 140, flowKeys: 144,
  tstamp: 152, wireLen: 160, sk: 168, tstampType: 180, hwtstamp: 184, size: 192,
} as const;

/** `cb[0..4]`: the 20 bytes of control buffer most types may write. */
export const inCb = (off: number): boolean => within(off, SKB.cb0, 20);

/** `family` … `local_port`: the socket fields only some skb types may read. */
export const familyToLocalPort = (off: number): boolean => off >= SKB.family && off < SKB.localPortEnd;

/** `bpf_skb_is_valid_access`: the checks every `__sk_buff` program shares. */
export function skbValid(off: number, size: number, write: boolean): boolean {
  if (off < 0 || off >= SKB.size || off % size !== 0) return false;
  if (within(off, SKB.cb0, SKB.cbEnd - SKB.cb0)) return off + size <= SKB.cbEnd;
  if (within(off, SKB.remoteIp4, SKB.localPortEnd - 8 - SKB.remoteIp4) || isField(off, SKB.data) || isField(off, SKB.dataMeta) ||
    isField(off, SKB.dataEnd)) return size === 4;
  if (isField(off, SKB.flowKeys, 8)) return false;
  if (isField(off, SKB.hwtstamp, 8)) return !write && size === 8;
  if (isField(off, SKB.tstamp, 8)) return size === 8;
  if (off === SKB.sk) return !write && size === 8;
  if (off > SKB.sk && off < SKB.sk + 8) return false;
  if (isField(off, SKB.sk, 8)) return false;
  if (off >= SKB.tstampType && off < SKB.hwtstamp) return false;
  if (write) return size === 4;
  return size <= 4 && (size & (size - 1)) === 0;
}

/** What a valid `__sk_buff` load gives: `sk`, `data`, `data_end` and (with `meta`) `data_meta` are pointers. */
export function skbLoad(off: number, meta: boolean): CtxAccessResult {
  if (off === SKB.sk) return allow('sock_common_or_null');
  if (isField(off, SKB.data)) return allow('pkt');
  if (isField(off, SKB.dataEnd)) return allow('pkt_end');
  if (meta && isField(off, SKB.dataMeta)) return allow('pkt_meta');
  return allow('scalar');
}

/** `tc_cls_act_is_valid_access` (sched_cls and sched_act). */
export function tcClsActIsValidAccess(off: number, size: number, write: boolean): CtxAccessResult {
  if (write && !(isField(off, SKB.mark) || isField(off, SKB.tcIndex) || isField(off, SKB.priority) || isField(off, SKB.tcClassid) ||
    inCb(off) || isField(off, SKB.tstamp, 8) || isField(off, SKB.queueMapping))) return DENY;
  if (familyToLocalPort(off)) return DENY;
  return skbValid(off, size, write) ? skbLoad(off, true) : DENY;
}

/** `lwt_is_valid_access` (lwt_in, lwt_out, lwt_xmit, lwt_seg6local). */
export function lwtIsValidAccess(off: number, size: number, write: boolean): CtxAccessResult {
  if (isField(off, SKB.tcClassid) || familyToLocalPort(off) || isField(off, SKB.dataMeta) || isField(off, SKB.tstamp, 8) ||
    isField(off, SKB.wireLen) || isField(off, SKB.hwtstamp, 8)) return DENY;
  if (write && !(isField(off, SKB.mark) || isField(off, SKB.priority) || inCb(off))) return DENY;
  return skbValid(off, size, write) ? skbLoad(off, false) : DENY;
}
