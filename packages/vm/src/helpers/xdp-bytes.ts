import type { HelperCall, HelperDescriptor } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import type { PacketContext } from '../contexts/packets.js';
import { defineHelper } from './define.js';
import { checkMem } from './memory.js';
import { argLo, ptrArg, setR0 } from './regs.js';
import { packetArg } from './skb.js';

/** Copies between `buf` and the frame's bytes `[offset, offset + len)`, across the linear part and the frags. */
function copyFrame(c: HelperCall, pkt: PacketContext, offset: number, buf: number, len: number, store: boolean): void {
  const bytes = c.env.arena.bytes;
  const data = pkt.data();
  const linear = pkt.dataEnd() - data;
  let done = 0;
  if (offset < linear) {
    const n = Math.min(len, linear - offset);
    if (store) bytes.copyWithin(data + offset, buf, buf + n);
    else bytes.copyWithin(buf, data + offset, data + offset + n);
    done = n;
  }
  let at = linear;
  for (const f of pkt.frags) {
    if (done === len) break;
    const pos = offset + done;
    if (pos < at + f.length) {
      const from = pos - at;
      const n = Math.min(len - done, f.length - from);
      if (store) f.set(bytes.subarray(buf + done, buf + done + n), from);
      else bytes.set(f.subarray(from, from + n), buf + done);
      done += n;
    }
    at += f.length;
  }
}

/**
 * `bpf_xdp_load_bytes` / `bpf_xdp_store_bytes(xdp, offset, buf, len)`: any
 * range of the frame, frags included; -EFAULT for an offset or length above
 * 0xffff, -EINVAL past the frame (`bpf_xdp_pointer`).
 */
function xdpBytes(name: string, store: boolean): HelperDescriptor {
  return defineHelper(name, (c) => {
    const pkt = packetArg(c, `bpf_${name}`);
    const offset = argLo(c, 2);
    const buf = ptrArg(c, 3, 'buf');
    const len = argLo(c, 4);
    checkMem(c, buf, len, `bpf_${name} buf`);
    if (offset > 0xffff || len > 0xffff) return setR0(c, -Errno.EFAULT);
    if (offset + len > pkt.dataEnd() - pkt.data() + pkt.fragsSize()) return setR0(c, -Errno.EINVAL);
    copyFrame(c, pkt, offset, buf, len, store);
    setR0(c, 0);
  });
}

/**
 * `xdp_get_buff_len` (linear part plus frags), `xdp_load_bytes`, `xdp_store_bytes`.
 *
 * @example
 * for (const h of xdpBytesHelpers()) registry.set(h.id, h);
 */
export function xdpBytesHelpers(): HelperDescriptor[] {
  return [
    defineHelper('xdp_get_buff_len', (c) => {
      const pkt = packetArg(c, 'bpf_xdp_get_buff_len');
      setR0(c, pkt.dataEnd() - pkt.data() + pkt.fragsSize());
    }),
    xdpBytes('xdp_load_bytes', false),
    xdpBytes('xdp_store_bytes', true),
  ];
}
