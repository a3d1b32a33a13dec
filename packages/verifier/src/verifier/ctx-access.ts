import type { RegType } from './state.js';

/** What a context load gives (`bpf_insn_access_aux.reg_type`); undefined: the access is invalid. */
export type CtxAccess = { readonly type: RegType } | undefined;

const SCALAR = { type: 'scalar' } as const;
const PKT = { type: 'pkt' } as const;
const PKT_META = { type: 'pkt_meta' } as const;
const PKT_END = { type: 'pkt_end' } as const;

/** `struct __sk_buff` field offsets. */
const SKB = {
  mark: 8, queueMapping: 12, priority: 32, tcIndex: 44, cb0: 48, cbEnd: 68, tcClassid: 72, data: 76, dataEnd: 80,
  family: 88, remoteIp4: 92, localIp4: 96, remoteIp6: 100, localIp6: 116, localPortEnd: 140, dataMeta: 140, flowKeys: 144,
  tstamp: 152, wireLen: 160, sk: 168, tstampType: 180, hwtstamp: 184, size: 192,
};

const narrowOk = (size: number, field: number): boolean => size <= field && (size & (size - 1)) === 0;
const within = (off: number, start: number, len: number): boolean => off >= start && off < start + len;
const isField = (off: number, start: number, len = 4): boolean => within(off, start, len);

/** `bpf_skb_is_valid_access`: the checks every __sk_buff program shares. */
function skbValid(off: number, size: number, write: boolean): boolean {
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

function pktType(off: number, meta: boolean): CtxAccess {
  if (off === SKB.sk) return { type: 'sock_common_or_null' };
  if (isField(off, SKB.data)) return PKT;
  if (isField(off, SKB.dataEnd)) return PKT_END;
  if (meta && isField(off, SKB.dataMeta)) return PKT_META;
  return SCALAR;
}

const familyToLocalPort = (off: number): boolean => off >= SKB.family && off < SKB.localPortEnd;

/** `sk_filter_is_valid_access` (socket filters). */
function skFilter(off: number, size: number, write: boolean): CtxAccess {
  if (isField(off, SKB.tcClassid) || isField(off, SKB.data) || isField(off, SKB.dataMeta) || isField(off, SKB.dataEnd) ||
    familyToLocalPort(off) || isField(off, SKB.tstamp, 8) || isField(off, SKB.wireLen) || isField(off, SKB.hwtstamp, 8)) return undefined;
  if (write && !within(off, SKB.cb0, 20)) return undefined;
  return skbValid(off, size, write) ? (off === SKB.sk ? { type: 'sock_common_or_null' } : SCALAR) : undefined;
}

/** `tc_cls_act_is_valid_access`. */
function tcClsAct(off: number, size: number, write: boolean): CtxAccess {
  if (write && !(isField(off, SKB.mark) || isField(off, SKB.tcIndex) || isField(off, SKB.priority) || isField(off, SKB.tcClassid) ||
    within(off, SKB.cb0, 20) || isField(off, SKB.tstamp, 8) || isField(off, SKB.queueMapping))) return undefined;
  if (familyToLocalPort(off)) return undefined;
  return skbValid(off, size, write) ? pktType(off, true) : undefined;
}

/** `cg_skb_is_valid_access` (data/data_end need CAP_BPF). */
function cgSkb(off: number, size: number, write: boolean, bpfCapable: boolean): CtxAccess {
  if (isField(off, SKB.tcClassid) || isField(off, SKB.dataMeta) || isField(off, SKB.wireLen)) return undefined;
  if ((isField(off, SKB.data) || isField(off, SKB.dataEnd)) && !bpfCapable) return undefined;
  if (write && !(isField(off, SKB.mark) || isField(off, SKB.priority) || within(off, SKB.cb0, 20) ||
    (isField(off, SKB.tstamp, 8) && bpfCapable))) return undefined;
  return skbValid(off, size, write) ? pktType(off, false) : undefined;
}

/** `lwt_is_valid_access`. */
function lwt(off: number, size: number, write: boolean): CtxAccess {
  if (isField(off, SKB.tcClassid) || familyToLocalPort(off) || isField(off, SKB.dataMeta) || isField(off, SKB.tstamp, 8) ||
    isField(off, SKB.wireLen) || isField(off, SKB.hwtstamp, 8)) return undefined;
  if (write && !(isField(off, SKB.mark) || isField(off, SKB.priority) || within(off, SKB.cb0, 20))) return undefined;
  return skbValid(off, size, write) ? pktType(off, false) : undefined;
}

/** `sk_skb_is_valid_access`. */
function skSkb(off: number, size: number, write: boolean): CtxAccess {
  if (isField(off, SKB.tcClassid) || isField(off, SKB.dataMeta) || isField(off, SKB.tstamp, 8) || isField(off, SKB.wireLen) ||
    isField(off, SKB.hwtstamp, 8)) return undefined;
  if (write && !(isField(off, SKB.tcIndex) || isField(off, SKB.priority))) return undefined;
  if (isField(off, SKB.mark)) return undefined;
  return skbValid(off, size, write) ? pktType(off, false) : undefined;
}

/** `xdp_is_valid_access` over `struct xdp_md` (egress_ifindex only for devmap programs). */
function xdp(off: number, size: number, write: boolean, attachType: number): CtxAccess {
  const XDP_DEVMAP = 41;
  if (attachType !== XDP_DEVMAP && isField(off, 20)) return undefined;
  if (write) return undefined;
  if (off < 0 || off >= 24 || off % size !== 0 || size !== 4) return undefined;
  if (off === 0) return PKT;
  if (off === 4) return PKT_END;
  if (off === 8) return PKT_META;
  return SCALAR;
}

/** `sk_lookup_is_valid_access` over `struct bpf_sk_lookup` (reads only). */
function skLookup(off: number, size: number, write: boolean): CtxAccess {
  if (off < 0 || off >= 72 || off % size !== 0 || write) return undefined;
  if (off === 0) return size === 8 ? { type: 'sock_or_null' } : undefined;
  // family, protocol, remote_ip4, remote_ip6, local_ip4, local_ip6, local_port, ingress_ifindex.
  if ((off >= 8 && off < 36) || (off >= 40 && off < 68)) return narrowOk(size, 4) ? SCALAR : undefined;
  // remote_port (2 bytes, a 4-byte load is allowed) and the padding after it.
  if (off >= 36 && off < 40) return size === 4 || narrowOk(size, 2) ? SCALAR : undefined;
  return undefined;
}

/** `sk_msg_is_valid_access` over `struct sk_msg_md` (reads only). */
function skMsg(off: number, size: number, write: boolean): CtxAccess {
  if (write || off % size !== 0) return undefined;
  if (off >= 0 && off < 8) return size === 8 ? PKT : undefined;
  if (off >= 8 && off < 16) return size === 8 ? PKT_END : undefined;
  if (off >= 72 && off < 80) return size === 8 ? { type: 'sock' } : undefined;
  if (off >= 16 && off < 72) return size === 4 ? SCALAR : undefined;
  return undefined;
}

const wideOk = (off: number, size: number, start: number, end: number): boolean => size === 8 && off >= start && off + 8 <= end && off % 8 === 0;

/** Attach types whose address family each `bpf_sock_addr` field belongs to. */
const SOCK_ADDR_IP4 = [8, 10, 29, 31, 14, 19], SOCK_ADDR_IP6 = [9, 11, 30, 32, 15, 20];

/** `sock_addr_is_valid_access` over `struct bpf_sock_addr`. */
function sockAddr(off: number, size: number, write: boolean, attach: number): CtxAccess {
  if (off < 0 || off >= 72 || off % size !== 0) return undefined;
  const userIp4 = isField(off, 4), userIp6 = off >= 8 && off < 24, msgIp4 = isField(off, 40), msgIp6 = off >= 44 && off < 60;
  if ((userIp4 && !SOCK_ADDR_IP4.includes(attach)) || (userIp6 && !SOCK_ADDR_IP6.includes(attach)) || (msgIp4 && attach !== 14) ||
    (msgIp6 && attach !== 15)) return undefined;
  if (userIp4 || userIp6 || msgIp4 || msgIp6 || isField(off, 24)) {
    if (wideOk(off, size, 8, 24) || wideOk(off, size, 44, 60)) return SCALAR;
    if (write) return size === 4 ? SCALAR : undefined;
    return narrowOk(size, 4) ? SCALAR : undefined;
  }
  if (off === 64) return !write && size === 8 ? { type: 'sock' } : undefined;
  return !write && size === 4 ? SCALAR : undefined;
}

/** `cg_sockopt_is_valid_access` over `struct bpf_sockopt` (get: 21, set: 22). */
function sockopt(off: number, size: number, write: boolean, attach: number): CtxAccess {
  if (off < 0 || off >= 40 || off % size !== 0) return undefined;
  if (write) {
    if (off === 36) return size === 4 && attach === 21 ? SCALAR : undefined;
    if (off === 24 || off === 28) return size === 4 && attach === 22 ? SCALAR : undefined;
    return off === 32 && size === 4 ? SCALAR : undefined;
  }
  if (off < 8) return size === 8 ? { type: 'sock' } : undefined;
  if (off < 16) return size === 8 ? PKT : undefined;
  if (off < 24) return size === 8 ? PKT_END : undefined;
  if (off === 36) return size === 4 && attach === 21 ? SCALAR : undefined;
  return size === 4 ? SCALAR : undefined;
}

/** Context sizes of the program types without a modelled table: aligned reads inside the struct. */
const CTX_SIZE: Readonly<Record<number, number>> = { 2: 168 };

/**
 * `is_valid_access` of the program type (`bpf_verifier_ops`), for the context structs this
 * verifier models (`__sk_buff`, `xdp_md`); other types allow aligned reads inside their struct.
 */
export function ctxAccess(progType: number, attachType: number, off: number, size: number, write: boolean, bpfCapable: boolean): CtxAccess {
  switch (progType) {
    case 1: return skFilter(off, size, write);
    case 3: case 4: return tcClsAct(off, size, write);
    case 6: return xdp(off, size, write, attachType);
    case 8: return cgSkb(off, size, write, bpfCapable);
    case 10: case 11: case 12: return lwt(off, size, write);
    case 14: return skSkb(off, size, write);
    case 16: return skMsg(off, size, write);
    case 18: return sockAddr(off, size, write, attachType);
    case 25: return sockopt(off, size, write, attachType);
    case 30: return skLookup(off, size, write);
    default: {
      const ctxSize = CTX_SIZE[progType] ?? 256;
      return write || off < 0 || off + size > ctxSize || off % size !== 0 ? undefined : SCALAR;
    }
  }
}

/** `may_access_direct_pkt_data`. */
export function mayAccessDirectPktData(progType: number, write: boolean): boolean {
  switch (progType) {
    case 8: case 10: case 11: return !write;
    case 3: case 4: case 6: case 12: case 14: case 16: case 25: return true;
    case 22: return !write;
    default: return false;
  }
}


/** `bpf_sock_is_valid_access` (struct bpf_sock), `bpf_sock_common_is_valid_access`, `bpf_tcp_sock_is_valid_access`. */
export function sockAccess(type: RegType, off: number, size: number): boolean {
  if (type === 'tcp_sock') {
    if (off < 0 || off >= 112 || off % size !== 0) return false;
    return off === 80 || off === 88 ? size === 8 : size === 4;
  }
  if (type === 'sock_common' && off >= 8 && off < 24) return false;
  if (off < 0 || off >= 80 || off % size !== 0) return false;
  // state, family, type, protocol, src_port, rx_queue_mapping; src/dst addresses.
  if ([72, 4, 8, 12, 44, 76].includes(off) || (off >= 24 && off < 44) || (off >= 52 && off < 72)) return narrowOk(size, 4);
  // dst_port is a 2-byte field that also allows a 4-byte load; the 2 bytes after it are padding.
  if (off === 48 || off === 49) return size === 4 ? off === 48 : narrowOk(size, 2);
  if (off >= 50 && off < 52) return false;
  return size === 4;
}
