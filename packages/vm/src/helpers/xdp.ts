import type { HelperDescriptor } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { ETH_HLEN } from '../contexts/eth.js';
import { XDP_FRAME_SIZE } from '../contexts/xdp-md.js';
import { defineHelper } from './define.js';
import { argS32, setR0 } from './regs.js';
import { packetArg } from './skb.js';

/** Most metadata bytes (`skb_shared_info.meta_len` is a u8); it must also be a multiple of 4. */
const XDP_META_MAX = 255;

/**
 * `bpf_xdp_adjust_head(xdp, delta)`: moves `data` (and the metadata with it)
 * by `delta`, keeping `sizeof(struct xdp_frame)` + metadata free at the
 * buffer's start and at least `ETH_HLEN` bytes of packet; -EINVAL otherwise.
 */
const xdpAdjustHead = defineHelper('xdp_adjust_head', (c) => {
  const pkt = packetArg(c, 'bpf_xdp_adjust_head');
  const delta = argS32(c, 2);
  const meta = pkt.dataMeta();
  const data = pkt.data();
  const end = pkt.dataEnd();
  const metaLen = data - meta;
  const next = data + delta;
  if (next < pkt.head + XDP_FRAME_SIZE + metaLen || next > end - ETH_HLEN) return setR0(c, -Errno.EINVAL);
  if (metaLen !== 0) c.env.arena.bytes.copyWithin(meta + delta, meta, data);
  pkt.setBounds(meta + delta, next, end);
  setR0(c, 0);
});

/**
 * `bpf_xdp_adjust_tail(xdp, delta)`: moves `data_end`, not past the buffer's
 * end less the shared-info tailroom and not below `data + ETH_HLEN`
 * (-EINVAL); growing zeroes the new bytes. With frags the last frag grows or
 * shrinks instead (frags emptied by a shrink are released).
 */
const xdpAdjustTail = defineHelper('xdp_adjust_tail', (c) => {
  const pkt = packetArg(c, 'bpf_xdp_adjust_tail');
  const delta = argS32(c, 2);
  const data = pkt.data();
  const end = pkt.dataEnd();
  if (pkt.frags.length > 0) {
    if (delta > 0) {
      // The test run's frags are whole pages: only a frag with tailroom could grow; the last one is full unless short.
      const last = pkt.frags[pkt.frags.length - 1] ?? new Uint8Array(0);
      if (last.length + delta > 4096) return setR0(c, -Errno.EINVAL);
      const grown = new Uint8Array(last.length + delta);
      grown.set(last);
      pkt.frags[pkt.frags.length - 1] = grown;
      return setR0(c, 0);
    }
    let shrink = -delta;
    const total = pkt.fragsSize();
    if (shrink > total + (end - data) - ETH_HLEN) return setR0(c, -Errno.EINVAL);
    while (shrink > 0 && pkt.frags.length > 0) {
      const last = pkt.frags[pkt.frags.length - 1] ?? new Uint8Array(0);
      if (shrink >= last.length) {
        shrink -= last.length;
        pkt.frags.pop();
      } else {
        pkt.frags[pkt.frags.length - 1] = last.subarray(0, last.length - shrink);
        shrink = 0;
      }
    }
    pkt.setBounds(pkt.dataMeta(), data, end - shrink);
    return setR0(c, 0);
  }
  const next = end + delta;
  if (next > pkt.hardEnd || next < data + ETH_HLEN) return setR0(c, -Errno.EINVAL);
  if (delta > 0) c.env.arena.bytes.fill(0, end, next);
  pkt.setBounds(pkt.dataMeta(), data, next);
  setR0(c, 0);
});

/**
 * `bpf_xdp_adjust_meta(xdp, delta)`: moves `data_meta`, not before the
 * `xdp_frame` at the buffer's start nor past `data` (-EINVAL); a metadata
 * length that is not a multiple of 4 or above 255 gives -EACCES.
 */
const xdpAdjustMeta = defineHelper('xdp_adjust_meta', (c) => {
  const pkt = packetArg(c, 'bpf_xdp_adjust_meta');
  const delta = argS32(c, 2);
  const data = pkt.data();
  const meta = pkt.dataMeta() + delta;
  if (meta < pkt.head + XDP_FRAME_SIZE || meta > data) return setR0(c, -Errno.EINVAL);
  const len = data - meta;
  if ((len & 3) !== 0 || len > XDP_META_MAX) return setR0(c, -Errno.EACCES);
  pkt.setBounds(meta, data, pkt.dataEnd());
  setR0(c, 0);
});

/**
 * `xdp_adjust_head`, `xdp_adjust_tail`, `xdp_adjust_meta`.
 *
 * @example
 * for (const h of xdpHelpers()) registry.set(h.id, h);
 */
export function xdpHelpers(): HelperDescriptor[] {
  return [xdpAdjustHead, xdpAdjustTail, xdpAdjustMeta];
}
