import type { MapAsyncFields, MapRuntimeSpec, MapSyscallContext } from '@bpfkit/kernel-api';
import { BPF_EXIST, BPF_F_LOCK, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_ZERO_SEED, BPF_NOEXIST, BpfMapType } from '@bpfkit/uapi';
import type { MapEnv } from '../deps.js';
import { BpfLru } from './bpf-lru.js';
import { NEG_E2BIG, NEG_EEXIST, NEG_EINVAL, NEG_ENOENT, NEG_ENOMEM } from './errno.js';
import { jhash } from './jhash.js';
import { check, fail, MapBase, round8 } from './map-base.js';
import { copyBytes, copyMapValue, freeValueFields, loadMapValue, storeMapValue } from './value-layout.js';

const NO_I32 = new Int32Array(0);
const NO_U32 = new Uint32Array(0);

/** Elements a no-prealloc table allocates at a time at first (doubling after). */
const FIRST_SLAB = 16;

/** `roundup_pow_of_two` for a u32. */
function roundUpPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * The hash table of kernel/bpf/hashtab.c, kept in typed arrays and the arena:
 * `roundup_pow_of_two(max_entries)` buckets, the kernel's jhash with the map's
 * seed (0 with BPF_F_ZERO_SEED), new elements at the head of their bucket.
 * Each element is `[key, round_up(key_size, 8)][value or one value per CPU]`
 * in the arena, so a lookup's address is the value itself.
 *
 * Serves `hash`, `percpu_hash`, `lru_hash`, `lru_percpu_hash` and, through
 * subclasses, the hash-backed fd maps. The program half allocates nothing
 * (a no-prealloc table grows its element slabs when it runs out, as the
 * kernel's kmalloc would).
 *
 * @example
 * const hash = maps.get(BpfMapType.BPF_MAP_TYPE_HASH)!.create(spec);
 * hash.sysUpdate(key, value, BPF_NOEXIST, {}); // EEXIST when the key is there
 */
export class HashTable extends MapBase {
  protected readonly keySize: number;
  protected readonly keyRound: number;
  /** Bytes of one value (per CPU): `round_up(value_size, 8)`. */
  protected readonly valueRound: number;
  protected readonly percpu: boolean;
  protected readonly lru: BpfLru | undefined;
  readonly asyncFields?: MapAsyncFields;
  readonly #elemSize: number;
  readonly #seed: number;
  readonly #mask: number;
  readonly #buckets: Int32Array;
  #next: Int32Array;
  /** The int32 jhash of each element's key. */
  #hashes: Int32Array;
  #addrs: Uint32Array;
  /** Elements not in the table; a stack of indices. */
  #free: Int32Array;
  #freeTop = 0;
  /** Elements allocated so far, and the most there can be. */
  #capacity = 0;
  readonly #maxElems: number;
  #count = 0;
  /** `htab->extra_elems`: one spare per CPU, swapped with the old element on an update of an existing key. */
  readonly #extra: Int32Array;
  /** Element the last successful update wrote (for subclasses that keep objects per element). */
  protected lastElem = -1;

  constructor(env: MapEnv, spec: MapRuntimeSpec, storedValueSize = spec.info.valueSize) {
    super(env, spec);
    const t = spec.info.mapType;
    const flags = spec.info.mapFlags;
    this.percpu = t === BpfMapType.BPF_MAP_TYPE_PERCPU_HASH || t === BpfMapType.BPF_MAP_TYPE_LRU_PERCPU_HASH;
    const isLru = t === BpfMapType.BPF_MAP_TYPE_LRU_HASH || t === BpfMapType.BPF_MAP_TYPE_LRU_PERCPU_HASH;
    this.keySize = spec.info.keySize;
    this.keyRound = round8(this.keySize);
    this.valueRound = round8(storedValueSize);
    this.#elemSize = this.keyRound + this.valueRound * (this.percpu ? env.possibleCpus : 1);
    this.#seed = (flags & BPF_F_ZERO_SEED) !== 0 ? 0 : env.random.u32() | 0;
    const nBuckets = roundUpPow2(spec.info.maxEntries);
    this.#mask = nBuckets - 1;
    this.#buckets = new Int32Array(nBuckets).fill(-1);
    const extras = !this.percpu && !isLru ? env.possibleCpus : 0;
    this.#maxElems = spec.info.maxEntries + extras;
    // Empty until #grow sizes them (shared: an empty array is never written).
    this.#next = NO_I32;
    this.#hashes = NO_I32;
    this.#addrs = NO_U32;
    this.#free = NO_I32;
    const prealloc = isLru || (flags & BPF_F_NO_PREALLOC) === 0;
    this.#grow(prealloc ? this.#maxElems : Math.min(FIRST_SLAB, this.#maxElems), true);
    this.#extra = new Int32Array(extras).fill(-1);
    for (let c = 0; c < extras; c++) this.#extra[c] = this.#popFreeElem();
    this.lru = isLru
      ? new BpfLru(spec.info.maxEntries, env.possibleCpus, (flags & BPF_F_NO_COMMON_LRU) !== 0, (node) => this.#unlinkElem(node))
      : undefined;
    if (this.lru !== undefined) this.#freeTop = 0; // the LRU lists own the free elements
    const timerOff = this.layout.timerOff;
    if (timerOff >= 0 && !this.percpu) {
      // bpf_timer_cb hands the callback the element's own key.
      this.asyncFields = { timerOff, callbackKeyAddr: (valueAddr) => valueAddr - this.keyRound };
    }
  }

  protected override get typeName(): string {
    return 'hash';
  }

  /** Adds element slabs up to `target` elements; false when the arena is full (a program's update then gets ENOMEM). */
  #grow(target: number, atCreate: boolean): boolean {
    const old = this.#capacity;
    const want = Math.min(target, this.#maxElems);
    if (want <= old) return false;
    const slab = atCreate ? this.alloc((want - old) * this.#elemSize) : this.allocMore((want - old) * this.#elemSize);
    if (slab < 0) return false;
    const resize = <T extends Int32Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(want);
      b.set(a);
      return b;
    };
    this.#next = resize(this.#next, (n) => new Int32Array(n));
    this.#hashes = resize(this.#hashes, (n) => new Int32Array(n));
    this.#addrs = resize(this.#addrs, (n) => new Uint32Array(n));
    this.#free = resize(this.#free, (n) => new Int32Array(n));
    // Lower indices are handed out first, as the slab lays them out.
    for (let i = want - 1; i >= old; i--) {
      this.#addrs[i] = slab + (i - old) * this.#elemSize;
      this.#free[this.#freeTop++] = i;
    }
    this.#capacity = want;
    return true;
  }

  #popFreeElem(): number {
    if (this.#freeTop === 0 && !this.#grow(Math.max(this.#capacity * 2, FIRST_SLAB), false)) return -1;
    if (this.#freeTop === 0) return -1;
    return this.#free[--this.#freeTop] ?? -1;
  }

  #pushFreeElem(e: number): void {
    this.#free[this.#freeTop++] = e;
  }

  /** The hash of a key (`htab_map_hash`). */
  protected hashOf(kb: Uint8Array, ko: number): number {
    return jhash(kb, ko, this.keySize, this.#seed);
  }

  /** `lookup_elem_raw`: the element holding the key, or -1. */
  protected findElem(kb: Uint8Array, ko: number, hash: number): number {
    const bytes = this.bytes;
    const n = this.keySize;
    let e = this.#buckets[hash & this.#mask] ?? -1;
    while (e >= 0) {
      if (this.#hashes[e] === hash) {
        const a = this.#addrs[e] ?? 0;
        let i = 0;
        while (i < n && bytes[a + i] === kb[ko + i]) i++;
        if (i === n) return e;
      }
      e = this.#next[e] ?? -1;
    }
    return -1;
  }

  #linkHead(e: number, hash: number): void {
    const b = hash & this.#mask;
    this.#hashes[e] = hash;
    this.#next[e] = this.#buckets[b] ?? -1;
    this.#buckets[b] = e;
  }

  /** Removes `e` from its bucket; false when it is not there (`htab_lru_map_delete_node`). */
  #unlinkElem(e: number): boolean {
    const b = (this.#hashes[e] ?? 0) & this.#mask;
    let prev = -1;
    let cur = this.#buckets[b] ?? -1;
    while (cur >= 0 && cur !== e) {
      prev = cur;
      cur = this.#next[cur] ?? -1;
    }
    if (cur < 0) return false;
    const nx = this.#next[e] ?? -1;
    if (prev < 0) this.#buckets[b] = nx;
    else this.#next[prev] = nx;
    this.#count--;
    if (!this.percpu) freeValueFields(this.layout, this.valueAddrOf(e, 0));
    this.elemRemoved(e);
    return true;
  }

  /** A hook for subclasses: element `e` left the table (drop what it referenced). */
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- a hook: only subclasses with objects per element use it
  protected elemRemoved(_e: number): void {
    // nothing by default
  }

  /** Address of element `e`'s value (CPU `cpu`). */
  protected valueAddrOf(e: number, cpu: number): number {
    return (this.#addrs[e] ?? 0) + this.keyRound + (this.percpu ? cpu * this.valueRound : 0);
  }

  /** Address of element `e`'s key. */
  protected keyAddrOf(e: number): number {
    return this.#addrs[e] ?? 0;
  }

  /** Takes an element for a new key (the kernel's `alloc_htab_elem` / `prealloc_lru_pop`), or a negative errno. */
  #newElem(oldElem: number, cpu: number, hash: number): number {
    if (this.lru !== undefined) {
      const node = this.lru.popFree(cpu);
      if (node < 0) return NEG_ENOMEM;
      this.#hashes[node] = hash;
      return node;
    }
    if (oldElem >= 0 && this.#extra.length !== 0) {
      const c = cpu % this.#extra.length;
      const e = this.#extra[c] ?? -1;
      this.#extra[c] = oldElem;
      if (e >= 0) return e;
    }
    if (oldElem < 0 && this.#count >= this.info.maxEntries) return NEG_E2BIG;
    const e = this.#popFreeElem();
    return e < 0 ? NEG_ENOMEM : e;
  }

  /** Gives an element back after it left the table (or was never linked). */
  #releaseElem(e: number, viaExtra: boolean): void {
    if (this.lru !== undefined) this.lru.pushFree(e);
    else if (!viaExtra) this.#pushFreeElem(e);
  }

  /**
   * Writes the key and the value(s) of a new element. `vb` null: the value is
   * in the arena at `vo`; `allCpus`: `vb` holds one padded value per CPU.
   */
  #fillElem(e: number, kb: Uint8Array | null, ko: number, vb: Uint8Array | null, vo: number, cpu: number, allCpus: boolean): void {
    const bytes = this.bytes;
    const a = this.#addrs[e] ?? 0;
    bytes.fill(0, a, a + this.#elemSize);
    copyBytes(bytes, a, kb ?? bytes, ko, this.keySize);
    this.#writeValue(e, vb ?? bytes, vo, cpu, allCpus, false);
  }

  #writeValue(e: number, vb: Uint8Array, vo: number, cpu: number, allCpus: boolean, lock: boolean): void {
    const bytes = this.bytes;
    if (!this.percpu) {
      storeMapValue(this.layout, bytes, this.valueAddrOf(e, 0), vb, vo, lock);
      return;
    }
    if (allCpus) {
      for (let c = 0; c < this.possibleCpus; c++) {
        const dst = this.valueAddrOf(e, c);
        copyBytes(bytes, dst, vb, vo + c * this.valueRound, this.valueRound);
        storeMapValue(this.layout, bytes, dst, vb, vo + c * this.valueRound, false);
      }
      return;
    }
    storeMapValue(this.layout, bytes, this.valueAddrOf(e, cpu), vb, vo, false);
  }

  /**
   * `htab_map_update_elem` and its LRU / per-CPU siblings. `kb`/`vb` null: key
   * and value are in the arena (a program's call). Returns 0 or a negative errno.
   */
  protected update(kb: Uint8Array | null, ko: number, vb: Uint8Array | null, vo: number, flags: number, cpu: number, allCpus: boolean): number {
    const lru = this.lru;
    const lock = (flags & BPF_F_LOCK) !== 0;
    if (this.percpu ? flags > BPF_EXIST : (flags & ~BPF_F_LOCK) > BPF_EXIST) return NEG_EINVAL;
    if (lock && this.layout.spinLockOff < 0) return NEG_EINVAL;
    const mode = flags & ~BPF_F_LOCK;
    const hash = this.hashOf(kb ?? this.bytes, ko);
    let newElem = -1;
    // An LRU element is taken before the bucket is searched: it may evict (even on a failing update).
    if (lru !== undefined && !(this.percpu && mode === BPF_EXIST)) {
      newElem = this.#newElem(-1, cpu, hash);
      if (newElem < 0) return newElem;
      this.#fillElem(newElem, kb, ko, vb, vo, cpu, allCpus);
    }
    const old = this.findElem(kb ?? this.bytes, ko, hash);
    let r = 0;
    if (old >= 0 && mode === BPF_NOEXIST) r = NEG_EEXIST;
    else if (old < 0 && mode === BPF_EXIST) r = NEG_ENOENT;
    if (r !== 0) {
      if (newElem >= 0) this.#releaseElem(newElem, false);
      return r;
    }
    if (old >= 0 && (lock || this.percpu)) {
      // In place: BPF_F_LOCK updates (copy_map_value_locked) and per-CPU values (pcpu_copy_value).
      if (lru !== undefined) lru.setRef(old);
      if (this.percpu) this.#writeValue(old, vb ?? this.bytes, vo, cpu, allCpus, false);
      else copyMapValue(this.layout, this.bytes, this.valueAddrOf(old, 0), vb ?? this.bytes, vo);
      if (newElem >= 0) this.#releaseElem(newElem, false);
      this.lastElem = old;
      return 0;
    }
    if (newElem < 0) {
      newElem = this.#newElem(old, cpu, hash);
      if (newElem < 0) return newElem;
      this.#fillElem(newElem, kb, ko, vb, vo, cpu, allCpus);
    }
    this.#linkHead(newElem, hash);
    this.#count++;
    this.lastElem = newElem;
    if (old >= 0) {
      if (lru !== undefined) lru.setRef(newElem);
      this.#unlinkElem(old);
      this.#releaseElem(old, this.#extra.length !== 0);
    }
    return 0;
  }

  /** `htab_map_delete_elem`: 0 or -ENOENT. */
  protected remove(kb: Uint8Array, ko: number): number {
    const hash = this.hashOf(kb, ko);
    const e = this.findElem(kb, ko, hash);
    if (e < 0) return NEG_ENOENT;
    this.#unlinkElem(e);
    this.#releaseElem(e, false);
    return 0;
  }

  override lookupElem(keyAddr: number, cpu: number): number {
    const bytes = this.bytes;
    const e = this.findElem(bytes, keyAddr, this.hashOf(bytes, keyAddr));
    if (e < 0) return 0;
    this.lru?.setRef(e);
    return this.valueAddrOf(e, cpu);
  }

  override updateElem(keyAddr: number, valueAddr: number, flags: number, cpu: number): number {
    return this.update(null, keyAddr, null, valueAddr, flags, cpu, false);
  }

  override deleteElem(keyAddr: number): number {
    return this.remove(this.bytes, keyAddr);
  }

  override forEachElem(cpu: number, cb: (keyAddr: number, valueAddr: number) => number): number {
    let n = 0;
    for (let b = 0; b <= this.#mask; b++) {
      for (let e = this.#buckets[b] ?? -1; e >= 0; e = this.#next[e] ?? -1) {
        n++;
        if (cb(this.keyAddrOf(e), this.valueAddrOf(e, cpu)) !== 0) return n;
      }
    }
    return n;
  }

  /** The value bytes user space gets (`bpf_percpu_hash_copy` for the per-CPU flavours). */
  protected copyOut(e: number): Uint8Array {
    if (!this.percpu) return loadMapValue(this.layout, this.bytes, this.valueAddrOf(e, 0));
    const out = new Uint8Array(this.valueRound * this.possibleCpus);
    for (let c = 0; c < this.possibleCpus; c++) {
      copyBytes(out, c * this.valueRound, this.bytes, this.valueAddrOf(e, c), this.valueRound);
      out.set(loadMapValue(this.layout, out, c * this.valueRound), c * this.valueRound);
    }
    return out;
  }

  /** The syscall value size: per-CPU values are padded to 8 bytes, one per possible CPU. */
  protected get sysValueSize(): number {
    return this.percpu ? this.valueRound * this.possibleCpus : this.info.valueSize;
  }

  sysLookup(key: Uint8Array, flags: number): Uint8Array {
    this.checkSize(key, this.keySize, 'key');
    if ((flags & BPF_F_LOCK) !== 0 && this.layout.spinLockOff < 0) fail('EINVAL', 'lock-without-spin-lock', 'BPF_F_LOCK on a value without bpf_spin_lock');
    // The syscall lookup does not set the LRU ref bit (htab_lru_map_lookup_elem_sys).
    const e = this.findElem(key, 0, this.hashOf(key, 0));
    if (e < 0) fail('ENOENT', 'hash-no-key', 'no element with this key');
    return this.copyOut(e);
  }

  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- plain hashes resolve no fds (hash of maps does)
  sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, _ctx: MapSyscallContext): void {
    this.checkSize(key, this.keySize, 'key');
    this.checkSize(value, this.sysValueSize, 'value');
    check(this.update(key, 0, value, 0, flags, 0, true), 'hash-update', 'update refused');
  }

  sysDelete(key: Uint8Array): void {
    this.checkSize(key, this.keySize, 'key');
    check(this.remove(key, 0), 'hash-no-key', 'no element with this key');
  }

  override sysLookupAndDelete(key: Uint8Array | undefined, flags: number): Uint8Array {
    const k = this.checkSize(key, this.keySize, 'key');
    if ((flags & BPF_F_LOCK) !== 0 && this.layout.spinLockOff < 0) fail('EINVAL', 'lock-without-spin-lock', 'BPF_F_LOCK on a value without bpf_spin_lock');
    const e = this.findElem(k, 0, this.hashOf(k, 0));
    if (e < 0) fail('ENOENT', 'hash-no-key', 'no element with this key');
    const out = this.copyOut(e);
    this.#unlinkElem(e);
    this.#releaseElem(e, false);
    return out;
  }

  sysGetNextKey(key: Uint8Array | undefined): Uint8Array {
    let b = 0;
    if (key !== undefined) {
      this.checkSize(key, this.keySize, 'key');
      const hash = this.hashOf(key, 0);
      const e = this.findElem(key, 0, hash);
      if (e >= 0) {
        const nx = this.#next[e] ?? -1;
        if (nx >= 0) return this.bytes.slice(this.keyAddrOf(nx), this.keyAddrOf(nx) + this.keySize);
        b = (hash & this.#mask) + 1;
      }
    }
    // A missing key restarts from the first bucket, as htab_map_get_next_key does.
    for (; b <= this.#mask; b++) {
      const e = this.#buckets[b] ?? -1;
      if (e >= 0) return this.bytes.slice(this.keyAddrOf(e), this.keyAddrOf(e) + this.keySize);
    }
    return fail('ENOENT', 'hash-last-key', 'no key after this one');
  }

  /** `htab->n_buckets`: what the batch commands' bucket-index tokens count. */
  get nBuckets(): number {
    return this.#mask + 1;
  }

  /** The keys of bucket `index`, head first (the order `__htab_map_lookup_and_delete_batch` copies them in). */
  bucketKeys(index: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (!Number.isInteger(index) || index < 0 || index > this.#mask) return out;
    for (let e = this.#buckets[index] ?? -1; e >= 0; e = this.#next[e] ?? -1) {
      out.push(this.bytes.slice(this.keyAddrOf(e), this.keyAddrOf(e) + this.keySize));
    }
    return out;
  }

  /** Live elements (for tests and `map_mem_usage`-like accounting). */
  get count(): number {
    return this.#count;
  }

  /** Every element in the table, in bucket order (for subclasses' release). */
  protected *elements(): Generator<number> {
    for (let b = 0; b <= this.#mask; b++) {
      for (let e = this.#buckets[b] ?? -1; e >= 0; e = this.#next[e] ?? -1) yield e;
    }
  }
}
