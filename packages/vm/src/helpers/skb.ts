import type { HelperCall, HelperDescriptor } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { CHECKSUM_COMPLETE, type PacketContext, packetOf } from '../contexts/packets.js';
import { csum16Add, csumAdd, csumBlockAdd, csumBlockSub, csumFold, csumPartial, csumSub, from32to16, not32 } from './csum.js';
import { defineHelper } from './define.js';
import { checkMem } from './memory.js';
import { argHi, argLo, argU53, ptrArg, setR0 } from './regs.js';

/** `BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH`: what `bpf_skb_store_bytes` takes. */
const STORE_FLAGS = 1 | 2;
const INT_MAX = 0x7fff_ffff;

/**
 * The packet behind the context in r1: a helper of the skb family called
 * with something else can only be an unverified program.
 *
 * @example
 * const skb = packetArg(c, 'bpf_skb_load_bytes');
 */
export function packetArg(c: HelperCall, what: string): PacketContext {
  const pkt = packetOf(c.env.arena, argLo(c, 1));
  if (pkt === undefined || argHi(c, 1) !== 0) return c.env.fault(`${what}: r1 is not a packet context`);
  return pkt;
}

/**
 * `bpf_skb_load_bytes(skb, offset, to, len)`: bytes from `skb->data +
 * offset`; out of range (or a flow dissector's test run, which has no skb)
 * zeroes `to` and returns -EFAULT. Flow dissectors bound `offset` by 0xffff,
 * others by `INT_MAX`.
 */
const skbLoadBytes = defineHelper('skb_load_bytes', (c) => {
  const pkt = packetArg(c, 'bpf_skb_load_bytes');
  const offset = argLo(c, 2);
  const to = ptrArg(c, 3, 'to');
  const len = argLo(c, 4);
  checkMem(c, to, len, 'bpf_skb_load_bytes to');
  const bytes = c.env.arena.bytes;
  const limit = pkt.kind === 'flow-dissector' ? 0xffff : INT_MAX;
  const data = pkt.data();
  if (pkt.kind === 'flow-dissector' || offset > limit || offset + len > pkt.dataEnd() - data) {
    bytes.fill(0, to, to + len);
    return setR0(c, -Errno.EFAULT);
  }
  bytes.copyWithin(to, data + offset, data + offset + len);
  setR0(c, 0);
});

/**
 * `bpf_skb_store_bytes(skb, offset, from, len, flags)`: flags other than
 * `BPF_F_RECOMPUTE_CSUM`/`BPF_F_INVALIDATE_HASH` give -EINVAL, a range past
 * the packet -EFAULT. The test-run skb has no checksum state to recompute.
 */
const skbStoreBytes = defineHelper('skb_store_bytes', (c) => {
  const pkt = packetArg(c, 'bpf_skb_store_bytes');
  const offset = argLo(c, 2);
  const from = ptrArg(c, 3, 'from');
  const len = argLo(c, 4);
  checkMem(c, from, len, 'bpf_skb_store_bytes from');
  if (argHi(c, 5) !== 0 || (argLo(c, 5) & ~STORE_FLAGS) !== 0) return setR0(c, -Errno.EINVAL);
  const data = pkt.data();
  if (offset > INT_MAX || offset + len > pkt.dataEnd() - data) return setR0(c, -Errno.EFAULT);
  const b = c.env.arena.bytes;
  const v = c.env.arena.view;
  const recompute = (argLo(c, 5) & 1) !== 0 && pkt.ipSummed === CHECKSUM_COMPLETE;
  // __skb_postpull_rcsum / __skb_postpush_rcsum around the copy.
  if (recompute) pkt.csum = csumBlockSub(pkt.csum, csumPartial(b, v, data + offset, len, 0), offset);
  b.copyWithin(data + offset, from, from + len);
  if (recompute) pkt.csum = csumBlockAdd(pkt.csum, csumPartial(b, v, data + offset, len, 0), offset);
  // BPF_F_INVALIDATE_HASH clears skb->hash, which __sk_buff shows.
  if ((argLo(c, 5) & 2) !== 0 && pkt.kind === 'skb') c.env.arena.view.setUint32(pkt.ctx + 68, 0, true);
  setR0(c, 0);
});

/** `BPF_F_HDR_FIELD_MASK`. */
const HDR_FIELD_MASK = 0xf;
const BPF_F_PSEUDO_HDR = 1 << 4;
const BPF_F_MARK_MANGLED_0 = 1 << 5;
const BPF_F_MARK_ENFORCE = 1 << 6;
const BPF_F_IPV6 = 1 << 7;
const CSUM_MANGLED_0 = 0xffff;

/**
 * Replaces the checksum at `data + offset` for a field change from `from` to
 * `to` of `size` bytes (0: `to` is a `csum_diff` result). l3 uses
 * `csum_replace2/4`, l4 `inet_proto_csum_replace2/4` (a 2-byte change summed
 * as 32 bits). The test-run skb is `CHECKSUM_NONE`, so the pseudo-header
 * flag changes nothing in the packet.
 */
function csumReplace(c: HelperCall, pkt: PacketContext, offset: number, size: number, l4: boolean): number {
  if (offset > 0xffff || (offset & 1) !== 0) return -Errno.EFAULT;
  const data = pkt.data();
  if (offset + 2 > pkt.dataEnd() - data) return -Errno.EFAULT;
  const v = c.env.arena.view;
  const sum = v.getUint16(data + offset, true);
  let from = argLo(c, 3);
  let to = argLo(c, 4);
  let next: number;
  if (size === 0) {
    if (from !== 0 || argHi(c, 3) !== 0) return -Errno.EINVAL;
    next = csumFold(csumAdd(to, not32(sum)));
  } else if (size === 2 && !l4) {
    next = ~csum16Add(csum16Add(~sum & 0xffff, ~from & 0xffff), to & 0xffff) & 0xffff;
  } else if (size === 2 || size === 4) {
    if (size === 2) {
      from &= 0xffff;
      to &= 0xffff;
    }
    next = csumFold(csumAdd(csumAdd(not32(sum), not32(from)), to));
  } else return -Errno.EINVAL;
  v.setUint16(data + offset, next, true);
  return 0;
}

const l3CsumReplace = defineHelper('l3_csum_replace', (c) => {
  const pkt = packetArg(c, 'bpf_l3_csum_replace');
  const flags = argLo(c, 5);
  if (argHi(c, 5) !== 0 || (flags & ~HDR_FIELD_MASK) !== 0) return setR0(c, -Errno.EINVAL);
  setR0(c, csumReplace(c, pkt, argLo(c, 2), flags & HDR_FIELD_MASK, false));
});

const l4CsumReplace = defineHelper('l4_csum_replace', (c) => {
  const pkt = packetArg(c, 'bpf_l4_csum_replace');
  const flags = argLo(c, 5);
  const allowed = HDR_FIELD_MASK | BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_IPV6;
  if (argHi(c, 5) !== 0 || (flags & ~allowed) !== 0) return setR0(c, -Errno.EINVAL);
  const offset = argLo(c, 2);
  if (offset > 0xffff || (offset & 1) !== 0) return setR0(c, -Errno.EFAULT);
  const data = pkt.data();
  if (offset + 2 > pkt.dataEnd() - data) return setR0(c, -Errno.EFAULT);
  const mmzero = (flags & BPF_F_MARK_MANGLED_0) !== 0;
  const v = c.env.arena.view;
  if (mmzero && (flags & BPF_F_MARK_ENFORCE) === 0 && v.getUint16(data + offset, true) === 0) return setR0(c, 0);
  const size = flags & HDR_FIELD_MASK;
  const err = csumReplace(c, pkt, offset, size, true);
  if (err < 0) return setR0(c, err);
  // inet_proto_csum_replace*: a pseudo-header change is part of a CHECKSUM_COMPLETE skb->csum too (not for IPv6 diffs).
  if ((flags & BPF_F_PSEUDO_HDR) !== 0 && pkt.ipSummed === CHECKSUM_COMPLETE) {
    const mask = size === 2 ? 0xffff : 0xffff_ffff;
    const from = (argLo(c, 3) & mask) >>> 0;
    const to = (argLo(c, 4) & mask) >>> 0;
    if (size === 0) {
      if ((flags & BPF_F_IPV6) === 0) pkt.csum = not32(csumSub(to, pkt.csum));
    } else pkt.csum = not32(csumAdd(csumSub(not32(pkt.csum), from), to));
  }
  if (mmzero && v.getUint16(data + offset, true) === 0) v.setUint16(data + offset, CSUM_MANGLED_0, true);
  setR0(c, 0);
});

/**
 * `bpf_csum_diff(from, from_size, to, to_size, seed)` as 6.18 computes it:
 * `csum_partial(to, seed) - csum_partial(from)` (just `to`, or the negated
 * `from` when the other side is empty) folded to 16 bits. Any sizes (the
 * verifier bounds them by the memory they point to).
 */
const csumDiff = defineHelper('csum_diff', (c) => {
  const fromSize = argU53(c, 2);
  const toSize = argU53(c, 4);
  const from = fromSize === 0 ? 0 : ptrArg(c, 1, 'from');
  const to = toSize === 0 ? 0 : ptrArg(c, 3, 'to');
  checkMem(c, from, fromSize, 'bpf_csum_diff from');
  checkMem(c, to, toSize, 'bpf_csum_diff to');
  const b = c.env.arena.bytes;
  const v = c.env.arena.view;
  let ret = argLo(c, 5);
  if (fromSize !== 0 && toSize !== 0) ret = csumAdd(csumPartial(b, v, to, toSize, ret), not32(csumPartial(b, v, from, fromSize, 0)));
  else if (toSize !== 0) ret = csumPartial(b, v, to, toSize, ret);
  else if (fromSize !== 0) ret = not32(csumPartial(b, v, from, fromSize, not32(ret)));
  setR0(c, from32to16(ret));
});

/**
 * Packet helpers of skb programs: `skb_load_bytes`, `skb_store_bytes`,
 * `l3_csum_replace`, `l4_csum_replace` and `csum_diff`.
 *
 * @example
 * for (const h of skbHelpers()) registry.set(h.id, h);
 */
export function skbHelpers(): HelperDescriptor[] {
  return [skbLoadBytes, skbStoreBytes, l3CsumReplace, l4CsumReplace, csumDiff];
}
