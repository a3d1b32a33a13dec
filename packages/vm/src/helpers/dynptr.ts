import type { HelperCall, HelperDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType, Errno } from '@bpfkit/uapi';
import type { PacketContext } from '../contexts/packets.js';
import { defineHelper, defineKfunc } from './define.js';
import { checkOffLen, type Dynptr, DYNPTR_MAX_SIZE, DynptrType, initDynptr, newDynptr, packetOfDynptr, readDynptr, setDynptrNull, setDynptrWindow } from './dynptr-kern.js';
import { checkMem, tryAlloc } from './memory.js';
import { argHi, argLo, argZero, ptrArg, setR0 } from './regs.js';
import { packetArg } from './skb.js';

/** Program types whose skb/xdp dynptrs may write (`may_access_direct_pkt_data(..., BPF_WRITE)`). */
const WRITABLE = new Set<number>([
  BpfProgType.BPF_PROG_TYPE_SCHED_CLS, BpfProgType.BPF_PROG_TYPE_SCHED_ACT, BpfProgType.BPF_PROG_TYPE_XDP,
  BpfProgType.BPF_PROG_TYPE_LWT_XMIT, BpfProgType.BPF_PROG_TYPE_SK_SKB, BpfProgType.BPF_PROG_TYPE_SK_MSG,
]);

const frameLen = (p: PacketContext): number => p.dataEnd() - p.data() + p.fragsSize();

/** The frame byte at `off` (linear part, then frags): where a dynptr read or write of a packet lands. */
function copyPacket(c: HelperCall, p: PacketContext, off: number, buf: number, len: number, store: boolean): void {
  const b = c.env.arena.bytes;
  const data = p.data();
  const linear = p.dataEnd() - data;
  for (let i = 0; i < len; i++) {
    const at = off + i;
    if (at < linear) {
      if (store) b[data + at] = b[buf + i] ?? 0;
      else b[buf + i] = b[data + at] ?? 0;
      continue;
    }
    let rest = at - linear;
    for (const f of p.frags) {
      if (rest < f.length) {
        if (store) f[rest] = b[buf + i] ?? 0;
        else b[buf + i] = f[rest] ?? 0;
        break;
      }
      rest -= f.length;
    }
  }
}

/**
 * Dynamic pointers: `dynptr_from_mem`, `dynptr_read`, `dynptr_write`,
 * `dynptr_data` (helpers) and the kfuncs `bpf_dynptr_from_skb`/`_xdp`,
 * `bpf_dynptr_slice`/`_rdwr`, `bpf_dynptr_size`, `bpf_dynptr_is_null`,
 * `bpf_dynptr_is_rdonly` and `bpf_dynptr_adjust`, with the kernel's checks
 * (-EINVAL for flags or a NULL/read-only dynptr, -E2BIG out of range).
 * skb dynptrs of program types that cannot write packets are read-only.
 *
 * @example
 * const { helpers, kfuncs } = dynptrFunctions();
 */
export function dynptrFunctions(): { helpers: HelperDescriptor[]; kfuncs: HelperDescriptor[] } {
  const d = newDynptr();
  const arg = (c: HelperCall, i: number): Dynptr => readDynptr(c, ptrArg(c, i, 'dynptr'), d);
  const fromPacket = (name: string, type: number) =>
    defineKfunc(name, (c) => {
      const pkt = packetArg(c, name);
      const out = ptrArg(c, 3, 'dynptr');
      checkMem(c, out, 16, name);
      if (!argZero(c, 2)) {
        setDynptrNull(c, out);
        return setR0(c, -Errno.EINVAL);
      }
      // An skb_meta dynptr covers the metadata before the packet; a packet one the whole frame.
      const size = type === DynptrType.SKB_META ? pkt.data() - pkt.dataMeta() : frameLen(pkt);
      initDynptr(c, out, pkt.ctx, type, 0, size, type !== DynptrType.SKB_META && !WRITABLE.has(c.env.progType));
      setR0(c, 0);
    });
  /** The arena address of byte `at` of a dynptr whose bytes are contiguous (local, ringbuf, skb metadata), or -1 for a packet. */
  const flatAddr = (c: HelperCall, p: Dynptr, at: number): number => {
    if (p.type === DynptrType.LOCAL || p.type === DynptrType.RINGBUF) return p.data + p.offset + at;
    if (p.type === DynptrType.SKB_META) return packetOfDynptr(c, p).dataMeta() + p.offset + at;
    return -1;
  };
  /** Copies `len` bytes between a dynptr (at `off`) and the arena at `buf` (`store`: into the dynptr). */
  const move = (c: HelperCall, p: Dynptr, off: number, buf: number, len: number, store: boolean): void => {
    const at = flatAddr(c, p, off);
    const b = c.env.arena.bytes;
    if (at < 0) copyPacket(c, packetOfDynptr(c, p), p.offset + off, buf, len, store);
    else if (store) b.copyWithin(at, buf, buf + len);
    else b.copyWithin(buf, at, at + len);
  };
  const slice = (name: string, rdwr: boolean) =>
    defineKfunc(name, (c) => {
      const p = arg(c, 1);
      const off = argLo(c, 2);
      const buffer = argLo(c, 3);
      const len = argLo(c, 4);
      if (p.data === 0 || (rdwr && p.rdonly) || checkOffLen(p, off, len) !== 0) return setR0(c, 0);
      const flat = flatAddr(c, p, off);
      if (flat >= 0) return setR0(c, flat);
      const pkt = packetOfDynptr(c, p);
      const at = p.offset + off;
      // Inside the linear part: a pointer into the packet; across frags: a copy into the buffer, if given.
      if (at + len <= pkt.dataEnd() - pkt.data()) return setR0(c, pkt.data() + at);
      if (buffer === 0) return setR0(c, 0);
      checkMem(c, buffer, len, name);
      copyPacket(c, pkt, at, buffer, len, false);
      setR0(c, buffer);
    });
  const helpers = [
    defineHelper('dynptr_from_mem', (c) => {
      const data = argLo(c, 1);
      const size = argLo(c, 2);
      const out = ptrArg(c, 4, 'dynptr');
      checkMem(c, out, 16, 'bpf_dynptr_from_mem');
      let err = 0;
      if (!argZero(c, 3)) err = -Errno.EINVAL;
      else if (size > DYNPTR_MAX_SIZE) err = -Errno.E2BIG;
      if (err !== 0) {
        setDynptrNull(c, out);
        return setR0(c, err);
      }
      checkMem(c, data, size, 'bpf_dynptr_from_mem data');
      initDynptr(c, out, data, DynptrType.LOCAL, 0, size, false);
      setR0(c, 0);
    }),
    defineHelper('dynptr_read', (c) => {
      const dst = ptrArg(c, 1, 'dst');
      const len = argLo(c, 2);
      checkMem(c, dst, len, 'bpf_dynptr_read dst');
      const p = arg(c, 3);
      const off = argLo(c, 4);
      if (p.data === 0 || !argZero(c, 5)) return setR0(c, -Errno.EINVAL);
      const err = checkOffLen(p, off, len);
      if (err !== 0) return setR0(c, err);
      move(c, p, off, dst, len, false);
      setR0(c, 0);
    }),
    defineHelper('dynptr_write', (c) => {
      const p = arg(c, 1);
      const off = argLo(c, 2);
      const src = ptrArg(c, 3, 'src');
      const len = argLo(c, 4);
      checkMem(c, src, len, 'bpf_dynptr_write src');
      if (p.data === 0 || p.rdonly) return setR0(c, -Errno.EINVAL);
      const err = checkOffLen(p, off, len);
      if (err !== 0) return setR0(c, err);
      const flagsHi = argHi(c, 5);
      const flags = argLo(c, 5);
      if (p.type === DynptrType.SKB) {
        // __bpf_skb_store_bytes: BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH only.
        if (flagsHi !== 0 || (flags & ~3) !== 0) return setR0(c, -Errno.EINVAL);
      } else if (flagsHi !== 0 || flags !== 0) return setR0(c, -Errno.EINVAL);
      move(c, p, off, src, len, true);
      setR0(c, 0);
    }),
    defineHelper('dynptr_data', (c) => {
      const p = arg(c, 1);
      const off = argLo(c, 2);
      const len = argLo(c, 3);
      if (p.data === 0 || checkOffLen(p, off, len) !== 0 || p.rdonly) return setR0(c, 0);
      setR0(c, p.type === DynptrType.LOCAL || p.type === DynptrType.RINGBUF ? p.data + p.offset + off : 0);
    }),
  ];
  const kfuncs = [
    fromPacket('bpf_dynptr_from_skb', DynptrType.SKB),
    fromPacket('bpf_dynptr_from_xdp', DynptrType.XDP),
    fromPacket('bpf_dynptr_from_skb_meta', DynptrType.SKB_META),
    defineKfunc('bpf_dynptr_clone', (c) => {
      const p = arg(c, 1);
      const out = ptrArg(c, 2, 'clone');
      checkMem(c, out, 16, 'bpf_dynptr_clone');
      if (p.data === 0) {
        setDynptrNull(c, out);
        return setR0(c, -Errno.EINVAL);
      }
      c.env.arena.bytes.copyWithin(out, p.addr, p.addr + 16);
      setR0(c, 0);
    }),
    defineKfunc('bpf_dynptr_copy', (c) => {
      const dst = { ...arg(c, 1) };
      const dstOff = argLo(c, 2);
      const src = arg(c, 3);
      const srcOff = argLo(c, 4);
      const len = argLo(c, 5);
      if (checkOffLen(dst, dstOff, len) !== 0 || checkOffLen(src, srcOff, len) !== 0) return setR0(c, -Errno.E2BIG);
      if (src.data === 0 || dst.data === 0 || dst.rdonly) return setR0(c, -Errno.EINVAL);
      if (len === 0) return setR0(c, 0);
      // Through a bounce buffer: the two may overlap, and either may be a packet.
      const bounce = tryAlloc(c, len);
      if (bounce === 0) return setR0(c, -Errno.ENOMEM);
      try {
        move(c, src, srcOff, bounce, len, false);
        move(c, dst, dstOff, bounce, len, true);
      } finally {
        c.env.arena.free(bounce);
      }
      setR0(c, 0);
    }),
    defineKfunc('bpf_dynptr_memset', (c) => {
      const p = arg(c, 1);
      const off = argLo(c, 2);
      const len = argLo(c, 3);
      const val = argLo(c, 4) & 0xff;
      if (p.data !== 0 && p.rdonly) return setR0(c, -Errno.EINVAL);
      const err = checkOffLen(p, off, len);
      if (err !== 0) return setR0(c, err);
      if (len === 0) return setR0(c, 0);
      const fill = tryAlloc(c, len);
      if (fill === 0) return setR0(c, -Errno.ENOMEM);
      try {
        c.env.arena.bytes.fill(val, fill, fill + len);
        move(c, p, off, fill, len, true);
      } finally {
        c.env.arena.free(fill);
      }
      setR0(c, 0);
    }),
    slice('bpf_dynptr_slice', false),
    slice('bpf_dynptr_slice_rdwr', true),
    defineKfunc('bpf_dynptr_size', (c) => {
      const p = arg(c, 1);
      setR0(c, p.data === 0 ? -Errno.EINVAL : p.size);
    }),
    defineKfunc('bpf_dynptr_is_null', (c) => setR0(c, arg(c, 1).data === 0 ? 1 : 0)),
    defineKfunc('bpf_dynptr_is_rdonly', (c) => {
      const p = arg(c, 1);
      setR0(c, p.data !== 0 && p.rdonly ? 1 : 0);
    }),
    defineKfunc('bpf_dynptr_adjust', (c) => {
      const p = arg(c, 1);
      const start = argLo(c, 2);
      const end = argLo(c, 3);
      if (p.data === 0) return setR0(c, -Errno.EINVAL);
      if (start > p.size || end > p.size) return setR0(c, -Errno.ERANGE);
      if (start > end) return setR0(c, -Errno.EINVAL);
      setDynptrWindow(c, p, p.offset + start, end - start);
      setR0(c, 0);
    }),
  ];
  return { helpers, kfuncs };
}
