import type { MapRuntimeSpec, MapSyscallContext } from '@bpfkit/kernel-api';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST } from '@bpfkit/uapi';
import type { MapEnv } from '../deps.js';
import { NEG_ENOENT } from './errno.js';
import { fail, MapBase, u32At } from './map-base.js';
import { loadMapValue, storeMapValue } from './value-layout.js';

/**
 * `BPF_MAP_TYPE_SK_STORAGE`, `INODE_STORAGE`, `TASK_STORAGE`, `CGRP_STORAGE`
 * (bpf_local_storage.c and its users): one value per owner object. From user
 * space the key is an fd the kernel resolves (a socket, any file, a pidfd, a
 * cgroup); here an update resolves it through `ctx.fds` and the storage is
 * kept under that fd, while a lookup or delete of an fd with no storage gives
 * EBADF, what the kernel says for an fd that names nothing. `get_next_key` is
 * ENOTSUPP. Programs reach storage by owner through {@link get} and {@link delete}.
 *
 * @example
 * const storage = maps.get(BpfMapType.BPF_MAP_TYPE_TASK_STORAGE)!.create(spec) as LocalStorageMap;
 * const value = storage.get(taskId, true); // bpf_task_storage_get with F_CREATE
 */
export class LocalStorageMap extends MapBase {
  readonly #name: string;
  /** Value address by owner id (programs) and by fd (syscalls). */
  readonly #byOwner = new Map<number, number>();
  readonly #byFd = new Map<number, number>();

  constructor(env: MapEnv, spec: MapRuntimeSpec, name: string) {
    super(env, spec);
    this.#name = name;
  }

  protected override get typeName(): string {
    return this.#name;
  }

  /** `bpf_*_storage_get`: the owner's value address, created zeroed when `create` (0 when missing or out of memory). */
  get(owner: number, create: boolean): number {
    const found = this.#byOwner.get(owner);
    if (found !== undefined || !create) return found ?? 0;
    const addr = this.allocMore(this.info.valueSize);
    if (addr < 0) return 0;
    this.#byOwner.set(owner, addr);
    return addr;
  }

  /** `bpf_*_storage_delete`: 0 or -ENOENT. */
  delete(owner: number): number {
    const addr = this.#byOwner.get(owner);
    if (addr === undefined) return NEG_ENOENT;
    this.#byOwner.delete(owner);
    this.freeAlloc(addr);
    return 0;
  }


  #fd(key: Uint8Array): number {
    return u32At(this.checkSize(key, 4, 'key'), 0) | 0;
  }

  sysLookup(key: Uint8Array): Uint8Array {
    const addr = this.#byFd.get(this.#fd(key));
    if (addr === undefined) fail('EBADF', 'local-storage-fd', 'the fd names no object with storage here');
    return loadMapValue(this.layout, this.bytes, addr);
  }

  sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, ctx: MapSyscallContext): void {
    const fd = this.#fd(key);
    if (ctx.fds === undefined) fail('EBADF', 'local-storage-fd', `fd ${fd} is not open`);
    const obj = ctx.fds.resolve(fd);
    obj.put();
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST || ((flags & BPF_F_LOCK) !== 0 && this.layout.spinLockOff < 0)) {
      fail('EINVAL', 'local-storage-update-flags', 'unknown update flags');
    }
    let addr = this.#byFd.get(fd);
    if (addr !== undefined && (flags & ~BPF_F_LOCK) === BPF_NOEXIST) fail('EEXIST', 'local-storage-exists', 'the object has storage already');
    if (addr === undefined && (flags & ~BPF_F_LOCK) === BPF_EXIST) fail('ENOENT', 'local-storage-missing', 'the object has no storage');
    if (addr === undefined) {
      addr = this.get(obj.id, true);
      if (addr === 0) fail('ENOMEM', 'local-storage-alloc', 'no memory for the storage');
      this.#byFd.set(fd, addr);
    }
    storeMapValue(this.layout, this.bytes, addr, this.checkSize(value, this.info.valueSize, 'value'), 0, (flags & BPF_F_LOCK) !== 0);
  }

  sysDelete(key: Uint8Array): void {
    const fd = this.#fd(key);
    const addr = this.#byFd.get(fd);
    if (addr === undefined) fail('EBADF', 'local-storage-fd', 'the fd names no object with storage here');
    this.#byFd.delete(fd);
    for (const [owner, a] of this.#byOwner) if (a === addr) this.#byOwner.delete(owner);
    this.freeAlloc(addr);
  }

  sysGetNextKey(): Uint8Array {
    return fail('ENOTSUPP', 'local-storage-get-next-key', 'local storage cannot be walked by key');
  }
}
