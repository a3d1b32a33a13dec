import type { HelperDescriptor } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_UNNECESSARY } from '../contexts/packets.js';
import { SkBuff } from '../contexts/sk-buff.js';
import { csumAdd } from './csum.js';
import { defineHelper } from './define.js';
import { argHi, argLo, setR0 } from './regs.js';
import { packetArg } from './skb.js';

/** `SKB_MAX_CSUM_LEVEL`. */
const SKB_MAX_CSUM_LEVEL = 3;
const BPF_CSUM_LEVEL_QUERY = 0;
const BPF_CSUM_LEVEL_INC = 1;
const BPF_CSUM_LEVEL_DEC = 2;
const BPF_CSUM_LEVEL_RESET = 3;

/**
 * `bpf_skb_pull_data(skb, len)`: a linear skb already has every byte, so
 * only a length past the packet fails (-ENOMEM, from `pskb_may_pull`).
 */
const skbPullData = defineHelper('skb_pull_data', (c) => {
  const pkt = packetArg(c, 'bpf_skb_pull_data');
  setR0(c, argLo(c, 2) > pkt.dataEnd() - pkt.data() + pkt.fragsSize() ? -Errno.ENOMEM : 0);
});

/**
 * `bpf_csum_update(skb, csum)`: adds to a `CHECKSUM_COMPLETE` skb's
 * `skb->csum` and returns the new (unfolded, 32-bit) value; -ENOTSUPP for
 * any other skb.
 */
const csumUpdate = defineHelper('csum_update', (c) => {
  const pkt = packetArg(c, 'bpf_csum_update');
  if (pkt.ipSummed !== CHECKSUM_COMPLETE) return setR0(c, -Errno.ENOTSUPP);
  pkt.csum = csumAdd(pkt.csum, argLo(c, 2));
  setR0(c, pkt.csum);
});

/**
 * `bpf_csum_level(skb, level)`: query (the level, or -EACCES unless
 * `CHECKSUM_UNNECESSARY`), inc, dec, reset; -EINVAL for other levels.
 */
const csumLevel = defineHelper('csum_level', (c) => {
  const pkt = packetArg(c, 'bpf_csum_level');
  const level = argHi(c, 2) !== 0 ? -1 : argLo(c, 2);
  switch (level) {
    case BPF_CSUM_LEVEL_INC:
      // __skb_incr_checksum_unnecessary
      if (pkt.ipSummed === CHECKSUM_UNNECESSARY) {
        if (pkt.csumLevel < SKB_MAX_CSUM_LEVEL) pkt.csumLevel++;
      } else if (pkt.ipSummed === CHECKSUM_NONE) {
        pkt.ipSummed = CHECKSUM_UNNECESSARY;
        pkt.csumLevel = 0;
      }
      return setR0(c, 0);
    case BPF_CSUM_LEVEL_DEC:
      // __skb_decr_checksum_unnecessary
      if (pkt.ipSummed === CHECKSUM_UNNECESSARY) {
        if (pkt.csumLevel === 0) pkt.ipSummed = CHECKSUM_NONE;
        else pkt.csumLevel--;
      }
      return setR0(c, 0);
    case BPF_CSUM_LEVEL_RESET:
      if (pkt.ipSummed === CHECKSUM_UNNECESSARY) {
        pkt.ipSummed = CHECKSUM_NONE;
        pkt.csumLevel = 0;
      }
      return setR0(c, 0);
    case BPF_CSUM_LEVEL_QUERY:
      return setR0(c, pkt.ipSummed === CHECKSUM_UNNECESSARY ? pkt.csumLevel : -Errno.EACCES);
    default:
      return setR0(c, -Errno.EINVAL);
  }
});

/** `bpf_set_hash_invalid(skb)`: clears `skb->hash`. */
const setHashInvalid = defineHelper('set_hash_invalid', (c) => {
  const pkt = packetArg(c, 'bpf_set_hash_invalid');
  if (pkt.kind === 'skb') c.env.arena.view.setUint32(pkt.ctx + SkBuff.hash, 0, true);
  setR0(c, 0);
});

/**
 * `skb_pull_data`, `csum_update`, `csum_level`, `set_hash_invalid`,
 * `get_numa_node_id` (one node: 0), `get_cgroup_classid` (0) and
 * `get_hash_recalc` (0: no flow dissection of the skb yet).
 *
 * @example
 * for (const h of skbExtraHelpers()) registry.set(h.id, h);
 */
export function skbExtraHelpers(): HelperDescriptor[] {
  return [
    skbPullData, csumUpdate, csumLevel, setHashInvalid,
    defineHelper('get_numa_node_id', (c) => setR0(c, 0)),
    // No net_cls cgroup in the simulation: the task's classid is 0.
    defineHelper('get_cgroup_classid', (c) => setR0(c, 0)),
    // skb_get_hash: a test run's skb has no flow hash and bpfkit computes none (documented gap): 0.
    defineHelper('get_hash_recalc', (c) => setR0(c, 0)),
  ];
}
