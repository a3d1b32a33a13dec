import type { HelperDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType, Errno } from '@bpfkit/uapi';
import { packetOf } from '../contexts/packets.js';
import { defineHelper } from './define.js';
import { mapArg } from './maps.js';
import { checkMem, tryAlloc } from './memory.js';
import { argHi, argLo, argU53, ptrArg, setR0 } from './regs.js';

/** `BPF_F_INDEX_MASK` / `BPF_F_CURRENT_CPU`: the low 32 bits of `flags`. */
const BPF_F_CURRENT_CPU = 0xffff_ffff;
/** `BPF_F_CTXLEN_MASK` >> 32: how many packet bytes skb/xdp programs append. */
const CTXLEN_MASK_HI = 0xf_ffff;

const PACKET_TYPES = new Set<number>([
  BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, BpfProgType.BPF_PROG_TYPE_SCHED_CLS, BpfProgType.BPF_PROG_TYPE_SCHED_ACT,
  BpfProgType.BPF_PROG_TYPE_XDP, BpfProgType.BPF_PROG_TYPE_CGROUP_SKB, BpfProgType.BPF_PROG_TYPE_LWT_IN,
  BpfProgType.BPF_PROG_TYPE_LWT_OUT, BpfProgType.BPF_PROG_TYPE_LWT_XMIT, BpfProgType.BPF_PROG_TYPE_LWT_SEG6LOCAL,
  BpfProgType.BPF_PROG_TYPE_SK_SKB,
]);

/**
 * `bpf_perf_event_output(ctx, map, flags, data, size)`: the slot is
 * `flags & BPF_F_INDEX_MASK` (or the current CPU for `BPF_F_CURRENT_CPU`),
 * -E2BIG past `max_entries`, -EINVAL for other flag bits. Packet programs
 * (`bpf_skb_event_output`, `bpf_xdp_event_output`) may also ask for the first
 * `flags >> 32` packet bytes after the data.
 *
 * @example
 * registry.get(25) // perf_event_output
 */
export const perfEventOutputHelper: HelperDescriptor = defineHelper('perf_event_output', (c) => {
  const ctx = argLo(c, 1);
  const map = mapArg(c, 2);
  const data = ptrArg(c, 4, 'data');
  const size = argU53(c, 5);
  checkMem(c, data, size, 'bpf_perf_event_output data');
  const ops = map.perfEvents ?? c.env.fault('bpf_perf_event_output on a map that is not a perf event array');
  const packet = PACKET_TYPES.has(c.env.progType);
  const hi = argHi(c, 3);
  if (packet ? (hi & ~CTXLEN_MASK_HI) !== 0 : hi !== 0) return setR0(c, -Errno.EINVAL);
  const lo = argLo(c, 3);
  const index = lo === BPF_F_CURRENT_CPU ? c.env.cpu : lo;
  if (index >= map.info.maxEntries) return setR0(c, -Errno.E2BIG);
  const ctxLen = packet ? hi & CTXLEN_MASK_HI : 0;
  if (ctxLen === 0) return setR0(c, ops.output(c.env.cpu, index, data, size));
  const pkt = packetOf(c.env.arena, ctx);
  if (pkt === undefined || ctxLen > pkt.dataEnd() - pkt.data()) return setR0(c, -Errno.EFAULT);
  // The record is data followed by packet bytes: assemble it in a scratch allocation.
  const arena = c.env.arena;
  const tmp = tryAlloc(c, size + ctxLen);
  if (tmp === 0) return setR0(c, -Errno.ENOMEM);
  try {
    arena.bytes.copyWithin(tmp, data, data + size);
    arena.bytes.copyWithin(tmp + size, pkt.data(), pkt.data() + ctxLen);
    setR0(c, ops.output(c.env.cpu, index, tmp, size + ctxLen));
  } finally {
    arena.free(tmp);
  }
});
