import type { MapRuntimeSpec, MapSlotObject, MapSyscallContext } from '@bpfkit/kernel-api';
import { BPF_EXIST, BPF_NOEXIST } from '@bpfkit/uapi';
import type { MapEnv } from '../deps.js';
import { jhash } from './jhash.js';
import { fail, MapBase, putU32 } from './map-base.js';
import { resolveSocket } from './sock-maps.js';

interface Entry {
  readonly key: Uint8Array;
  readonly sock: MapSlotObject;
}

/**
 * `BPF_MAP_TYPE_SOCKHASH` (sock_map.c): sockets by key in
 * `roundup_pow_of_two(max_entries)` buckets hashed with jhash and seed 0, new
 * entries at the head, so `get_next_key` walks as the kernel's does. Programs
 * reach sockets only through the sockmap helpers, not by lookup.
 *
 * @example
 * const socks = maps.get(BpfMapType.BPF_MAP_TYPE_SOCKHASH)!.create(spec);
 * socks.sysUpdate(key, socketFd, BPF_NOEXIST, { fds });
 */
export class SockHash extends MapBase {
  readonly #buckets: Entry[][];
  readonly #mask: number;
  #count = 0;

  constructor(env: MapEnv, spec: MapRuntimeSpec) {
    super(env, spec);
    let n = 1;
    while (n < spec.info.maxEntries) n *= 2;
    this.#mask = n - 1;
    this.#buckets = Array.from({ length: n }, () => []);
  }

  protected override get typeName(): string {
    return 'sockhash';
  }

  #bucket(key: Uint8Array): Entry[] {
    return this.#buckets[jhash(key, 0, this.info.keySize, 0) & this.#mask] ?? [];
  }
  #find(key: Uint8Array): Entry | undefined {
    return this.#bucket(key).find((e) => e.key.every((b, i) => b === key[i]));
  }


  sysLookup(key: Uint8Array): Uint8Array {
    const k = this.checkSize(key, this.info.keySize, 'key');
    if (this.info.valueSize !== 8) fail('ENOSPC', 'sockhash-lookup-value-size', 'the cookie needs an 8-byte value');
    const e = this.#find(k);
    if (e === undefined) fail('ENOENT', 'sockhash-no-key', 'no socket with this key');
    const out = new Uint8Array(8);
    putU32(out, 0, e.sock.id);
    return out;
  }

  sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, ctx: MapSyscallContext): void {
    const k = this.checkSize(key, this.info.keySize, 'key').slice(0, this.info.keySize);
    const sock = resolveSocket(this.checkSize(value, this.info.valueSize, 'value'), this.info.valueSize, ctx);
    const old = this.#find(k);
    let code: 'EINVAL' | 'EEXIST' | 'ENOENT' | 'E2BIG' | undefined;
    if (flags > BPF_EXIST) code = 'EINVAL';
    else if (old !== undefined && flags === BPF_NOEXIST) code = 'EEXIST';
    else if (old === undefined && flags === BPF_EXIST) code = 'ENOENT';
    else if (old === undefined && this.#count >= this.info.maxEntries) code = 'E2BIG';
    if (code !== undefined) {
      sock.put();
      fail(code, 'sockhash-update', 'update refused');
    }
    const bucket = this.#bucket(k);
    if (old !== undefined) {
      bucket.splice(bucket.indexOf(old), 1);
      old.sock.put();
      this.#count--;
    }
    bucket.unshift({ key: k, sock });
    this.#count++;
  }

  sysDelete(key: Uint8Array): void {
    const k = this.checkSize(key, this.info.keySize, 'key');
    const e = this.#find(k);
    if (e === undefined) fail('ENOENT', 'sockhash-no-key', 'no socket with this key');
    const bucket = this.#bucket(k);
    bucket.splice(bucket.indexOf(e), 1);
    e.sock.put();
    this.#count--;
  }

  sysGetNextKey(key: Uint8Array | undefined): Uint8Array {
    let b = 0;
    if (key !== undefined) {
      const k = this.checkSize(key, this.info.keySize, 'key');
      const e = this.#find(k);
      if (e !== undefined) {
        const bucket = this.#bucket(k);
        const nx = bucket[bucket.indexOf(e) + 1];
        if (nx !== undefined) return nx.key.slice();
        b = (jhash(k, 0, this.info.keySize, 0) & this.#mask) + 1;
      }
    }
    for (; b <= this.#mask; b++) {
      const first = this.#buckets[b]?.[0];
      if (first !== undefined) return first.key.slice();
    }
    return fail('ENOENT', 'sockhash-last-key', 'no key after this one');
  }

  protected override releaseObjects(): void {
    for (const bucket of this.#buckets) {
      for (const e of bucket) e.sock.put();
      bucket.length = 0;
    }
  }
}
