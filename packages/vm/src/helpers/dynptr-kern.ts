import type { HelperCall } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { type PacketContext, packetOf } from '../contexts/packets.js';
import { checkMem } from './memory.js';

// struct bpf_dynptr_kern { void *data; u32 size; u32 offset; }: `size` keeps the type in bits 28–30
// and the read-only flag in bit 31. 16 opaque bytes on the program's stack.
const DATA = 0;
const SIZE = 8;
const OFFSET = 12;
/** `DYNPTR_MAX_SIZE`. */
export const DYNPTR_MAX_SIZE = (1 << 24) - 1;
const DYNPTR_TYPE_SHIFT = 28;
const DYNPTR_RDONLY_BIT = 0x8000_0000;

/** `enum bpf_dynptr_type`. */
export const DynptrType = { LOCAL: 1, RINGBUF: 2, SKB: 3, XDP: 4, SKB_META: 5 } as const;

/** A dynptr argument read once from the stack (one object per registry, re-filled per call). */
export interface Dynptr {
  addr: number;
  data: number;
  size: number;
  offset: number;
  type: number;
  rdonly: boolean;
}

/** A fresh holder for {@link readDynptr}. @example const d = newDynptr(); */
export function newDynptr(): Dynptr {
  return { addr: 0, data: 0, size: 0, offset: 0, type: 0, rdonly: false };
}

/** Reads the dynptr at `addr` into `out`. @example readDynptr(c, addr, d) */
export function readDynptr(c: HelperCall, addr: number, out: Dynptr): Dynptr {
  checkMem(c, addr, 16, 'dynptr');
  const v = c.env.arena.view;
  const size = v.getUint32(addr + SIZE, true);
  out.addr = addr;
  out.data = v.getUint32(addr + DATA, true);
  out.size = size & DYNPTR_MAX_SIZE;
  out.type = (size >>> DYNPTR_TYPE_SHIFT) & 7;
  out.rdonly = (size & DYNPTR_RDONLY_BIT) !== 0;
  out.offset = v.getUint32(addr + OFFSET, true);
  return out;
}

/** `bpf_dynptr_init`. @example initDynptr(c, addr, data, DynptrType.LOCAL, 0, size, false) */
export function initDynptr(c: HelperCall, addr: number, data: number, type: number, offset: number, size: number, rdonly: boolean): void {
  const v = c.env.arena.view;
  v.setBigUint64(addr + DATA, BigInt(data), true);
  v.setUint32(addr + SIZE, (size | (type << DYNPTR_TYPE_SHIFT) | (rdonly ? DYNPTR_RDONLY_BIT : 0)) >>> 0, true);
  v.setUint32(addr + OFFSET, offset, true);
}

/** `bpf_dynptr_set_null`. @example setDynptrNull(c, addr) */
export function setDynptrNull(c: HelperCall, addr: number): void {
  c.env.arena.bytes.fill(0, addr, addr + 16);
}

/** `bpf_dynptr_check_off_len`: 0 or -E2BIG. @example checkOffLen(d, off, len) */
export function checkOffLen(d: Dynptr, offset: number, len: number): number {
  return len > d.size || offset > d.size - len ? -Errno.E2BIG : 0;
}

/** The packet behind an skb/xdp dynptr (its `data` is the context address). @example packetOfDynptr(c, d) */
export function packetOfDynptr(c: HelperCall, d: Dynptr): PacketContext {
  return packetOf(c.env.arena, d.data) ?? c.env.fault('dynptr: its packet is gone');
}

/** Updates a dynptr's offset and size (`bpf_dynptr_adjust`). @example adjustDynptr(c, d, start, end) */
export function setDynptrWindow(c: HelperCall, d: Dynptr, offset: number, size: number): void {
  const v = c.env.arena.view;
  v.setUint32(d.addr + OFFSET, offset, true);
  v.setUint32(d.addr + SIZE, ((v.getUint32(d.addr + SIZE, true) & ~DYNPTR_MAX_SIZE) | size) >>> 0, true);
}
