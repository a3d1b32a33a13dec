import type { MapSlotObject, MapSyscallContext } from '@bpfkit/kernel-api';
import { BPF_EXIST } from '@bpfkit/uapi';
import { fail, putU32, u32At } from './map-base.js';
import { SlotArrayMap } from './slot-array.js';

/** `S32_MAX`: a u64 fd above it is EINVAL. */
const S32_MAX = 0x7fffffff;

/**
 * The socket a sockmap/sockhash/xskmap/reuseport value names, through the
 * kernel's fd table (`sockfd_lookup`): EBADF for no fd, else what the
 * resolver says (ENOTSOCK for a file that is no socket).
 *
 * @example
 * const sock = resolveSocket(value, 8, ctx); // EINVAL above S32_MAX, EBADF for no fd
 */
export function resolveSocket(value: Uint8Array, valueSize: number, ctx: MapSyscallContext): MapSlotObject {
  const lo = u32At(value, 0);
  const hi = valueSize === 8 ? u32At(value, 4) : 0;
  if (hi !== 0 || lo > S32_MAX) fail('EINVAL', 'sock-fd-range', 'the fd is above S32_MAX');
  if (ctx.fds === undefined) fail('EBADF', 'sock-fd', `fd ${lo} is not open`);
  return ctx.fds.resolve(lo);
}

/** The socket cookie a syscall lookup returns (8 bytes; the object's id stands for it). */
function cookie(obj: MapSlotObject): Uint8Array {
  const out = new Uint8Array(8);
  putU32(out, 0, obj.id);
  return out;
}

/**
 * `BPF_MAP_TYPE_SOCKMAP` (sock_map.c): sockets by index. The syscall lookup
 * gives the socket cookie and needs an 8-byte value (ENOSPC otherwise); delete
 * of an empty slot is EINVAL.
 *
 * @example
 * const socks = maps.get(BpfMapType.BPF_MAP_TYPE_SOCKMAP)!.create(spec);
 * socks.sysUpdate(u32(0), socketFd, BPF_ANY, { fds });
 * socks.sysLookup(u32(0), 0); // the socket's cookie
 */
export class SockMap extends SlotArrayMap {
  protected override get typeName(): string {
    return 'sockmap';
  }
  sysLookup(key: Uint8Array): Uint8Array {
    const i = this.index(key);
    if (this.info.valueSize !== 8) fail('ENOSPC', 'sockmap-lookup-value-size', 'the cookie needs an 8-byte value');
    const obj = i < this.info.maxEntries ? this.objects[i] : undefined;
    if (obj === undefined) fail('ENOENT', 'slot-empty', `slot ${i} is empty`);
    return cookie(obj);
  }
  sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, ctx: MapSyscallContext): void {
    const i = this.index(key);
    const sock = resolveSocket(this.checkSize(value, this.info.valueSize, 'value'), this.info.valueSize, ctx);
    if (flags > BPF_EXIST || i >= this.info.maxEntries) {
      sock.put();
      fail(flags > BPF_EXIST ? 'EINVAL' : 'E2BIG', 'sockmap-update', 'update refused');
    }
    this.fill(i, cookie(sock), sock);
  }
  sysDelete(key: Uint8Array): void {
    const i = this.index(key);
    if (i >= this.info.maxEntries || this.objects[i] === undefined) fail('EINVAL', 'sockmap-delete', `slot ${i} holds no socket`);
    this.fill(i, undefined, undefined);
  }
}

/**
 * `BPF_MAP_TYPE_XSKMAP` (xskmap.c): AF_XDP sockets by queue. Flags and the
 * index are checked before the fd; the syscall lookup is EOPNOTSUPP; delete of
 * an empty slot succeeds.
 *
 * @example
 * const xsks = maps.get(BpfMapType.BPF_MAP_TYPE_XSKMAP)!.create(spec);
 * xsks.sysLookup(u32(0), 0); // throws EOPNOTSUPP
 */
export class XskMap extends SlotArrayMap {
  protected override get typeName(): string {
    return 'xskmap';
  }
  sysLookup(key: Uint8Array): Uint8Array {
    this.index(key);
    return fail('EOPNOTSUPP', 'xskmap-lookup', 'xskmap entries cannot be read from user space');
  }
  sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, ctx: MapSyscallContext): void {
    const i = this.index(key);
    if (flags > BPF_EXIST) fail('EINVAL', 'xskmap-update-flags', 'unknown update flags');
    if (i >= this.info.maxEntries) fail('E2BIG', 'xskmap-index', `index ${i} is not below max_entries`);
    const sock = resolveSocket(this.checkSize(value, 4, 'value'), 4, ctx);
    this.fill(i, cookie(sock), sock);
  }
  sysDelete(key: Uint8Array): void {
    const i = this.index(key);
    if (i >= this.info.maxEntries) fail('EINVAL', 'xskmap-index', `index ${i} is not below max_entries`);
    this.fill(i, undefined, undefined);
  }
}

/**
 * `BPF_MAP_TYPE_REUSEPORT_SOCKARRAY` (reuseport_array.c): flags, index, then
 * the fd; the syscall lookup gives the cookie (8-byte values only, else
 * ENOSPC); delete of an empty slot is ENOENT, past the end E2BIG.
 *
 * @example
 * const socks = maps.get(BpfMapType.BPF_MAP_TYPE_REUSEPORT_SOCKARRAY)!.create(spec);
 * socks.sysDelete(u32(0)); // ENOENT while the slot is empty
 */
export class ReuseportArray extends SlotArrayMap {
  protected override get typeName(): string {
    return 'reuseport_sockarray';
  }
  sysLookup(key: Uint8Array): Uint8Array {
    const i = this.index(key);
    if (this.info.valueSize !== 8) fail('ENOSPC', 'reuseport-lookup-value-size', 'the cookie needs an 8-byte value');
    const obj = i < this.info.maxEntries ? this.objects[i] : undefined;
    if (obj === undefined) fail('ENOENT', 'slot-empty', `slot ${i} is empty`);
    return cookie(obj);
  }
  sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, ctx: MapSyscallContext): void {
    const i = this.index(key);
    if (flags > BPF_EXIST) fail('EINVAL', 'reuseport-update-flags', 'unknown update flags');
    if (i >= this.info.maxEntries) fail('E2BIG', 'reuseport-index', `index ${i} is not below max_entries`);
    const sock = resolveSocket(this.checkSize(value, this.info.valueSize, 'value'), this.info.valueSize, ctx);
    this.fill(i, cookie(sock), sock);
  }
  sysDelete(key: Uint8Array): void {
    const i = this.index(key);
    if (i >= this.info.maxEntries) fail('E2BIG', 'reuseport-index', `index ${i} is not below max_entries`);
    if (this.objects[i] === undefined) fail('ENOENT', 'slot-empty', `slot ${i} is empty`);
    this.fill(i, undefined, undefined);
  }
}
