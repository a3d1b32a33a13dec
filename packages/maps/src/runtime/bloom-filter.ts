import type { MapRuntimeSpec } from '@bpfkit/kernel-api';
import { BPF_ANY, BPF_F_ZERO_SEED } from '@bpfkit/uapi';
import type { MapEnv } from '../deps.js';
import { NEG_EINVAL, NEG_ENOENT, NEG_EOPNOTSUPP } from './errno.js';
import { jhash } from './jhash.js';
import { check, fail, MapBase } from './map-base.js';

/** `roundup_pow_of_two` for a u32. */
function roundUpPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * `BPF_MAP_TYPE_BLOOM_FILTER` (bloom_filter.c): a bit array in the arena,
 * `nr_hash_funcs` (map_extra, 0 means 5) jhash functions over the value with
 * seeds `hash_seed + i`. Push adds a value, peek tests membership (0 or
 * ENOENT, never a false negative). The syscall lookup is peek, update is push.
 *
 * The syscall lookup takes the value in place of the key: bloom filters have
 * no key, and `BPF_MAP_LOOKUP_ELEM` reads the value from user space.
 *
 * @example
 * const bloom = maps.get(BpfMapType.BPF_MAP_TYPE_BLOOM_FILTER)!.create(spec);
 * bloom.pushElem(valueAddr, BPF_ANY);
 * bloom.peekElem(valueAddr); // 0: maybe present; -ENOENT: certainly absent
 */
export class BloomFilterMap extends MapBase {
  readonly #nrHashFuncs: number;
  readonly #seed: number;
  readonly #mask: number;
  readonly #bits: number;

  constructor(env: MapEnv, spec: MapRuntimeSpec) {
    super(env, spec);
    const extra = Number(spec.mapExtra & 0xfn);
    this.#nrHashFuncs = extra === 0 ? 5 : extra;
    // bloom_map_alloc: n * k / ln 2 bits, approximated as n * k * 7 / 5, a power of two of at least 64.
    let nrBits = spec.info.maxEntries * this.#nrHashFuncs;
    let bytes: number;
    if (nrBits > 0xffffffff || Math.floor(nrBits / 5) > Math.floor(0xffffffff / 7) || Math.floor(nrBits / 5) * 7 > 2 ** 31) {
      this.#mask = 0xffffffff;
      bytes = 2 ** 29;
    } else {
      nrBits = Math.floor(nrBits / 5) * 7;
      nrBits = nrBits <= 64 ? 64 : roundUpPow2(nrBits);
      this.#mask = nrBits - 1;
      bytes = nrBits / 8;
    }
    this.#bits = this.alloc(Math.ceil(bytes / 8) * 8);
    this.#seed = (spec.info.mapFlags & BPF_F_ZERO_SEED) !== 0 ? 0 : env.random.u32() | 0;
  }

  protected override get typeName(): string {
    return 'bloom_filter';
  }

  /** Bit index of hash function `i` (jhash2 for 4-byte multiples gives the same value as jhash). */
  #bit(vb: Uint8Array, vo: number, i: number): number {
    return (jhash(vb, vo, this.info.valueSize, (this.#seed + i) | 0) & this.#mask) >>> 0;
  }

  #peek(vb: Uint8Array, vo: number): number {
    const bytes = this.bytes;
    for (let i = 0; i < this.#nrHashFuncs; i++) {
      const h = this.#bit(vb, vo, i);
      if (((bytes[this.#bits + (h >>> 3)] ?? 0) & (1 << (h & 7))) === 0) return NEG_ENOENT;
    }
    return 0;
  }

  #push(vb: Uint8Array, vo: number, flags: number): number {
    if (flags !== BPF_ANY) return NEG_EINVAL;
    const bytes = this.bytes;
    for (let i = 0; i < this.#nrHashFuncs; i++) {
      const h = this.#bit(vb, vo, i);
      const at = this.#bits + (h >>> 3);
      bytes[at] = (bytes[at] ?? 0) | (1 << (h & 7));
    }
    return 0;
  }

  override pushElem(valueAddr: number, flags: number): number {
    return this.#push(this.bytes, valueAddr, flags);
  }
  override peekElem(valueAddr: number): number {
    return this.#peek(this.bytes, valueAddr);
  }
  override popElem(): number {
    return NEG_EOPNOTSUPP;
  }
  override lookupElem(): number {
    return 0;
  }
  override updateElem(): number {
    return NEG_EINVAL;
  }
  override deleteElem(): number {
    return NEG_EOPNOTSUPP;
  }

  sysLookup(value: Uint8Array): Uint8Array {
    const v = this.checkSize(value, this.info.valueSize, 'value');
    check(this.#peek(v, 0), 'bloom-not-member', 'the value is not in the bloom filter');
    return v.slice(0, this.info.valueSize);
  }
  sysUpdate(_key: Uint8Array, value: Uint8Array, flags: number): void {
    check(this.#push(this.checkSize(value, this.info.valueSize, 'value'), 0, flags), 'bloom-push-flags', 'bloom filters take only BPF_ANY');
  }
  sysDelete(): void {
    fail('EOPNOTSUPP', 'bloom-delete', 'bloom filters have no delete');
  }
  sysGetNextKey(): Uint8Array {
    return fail('EOPNOTSUPP', 'bloom-get-next-key', 'bloom filters have no keys');
  }
}
