import type { MapRuntimeSpec } from '@bpfkit/kernel-api';
import { BPF_EXIST, BPF_NOEXIST } from '@bpfkit/uapi';
import type { MapEnv } from '../deps.js';
import { NEG_EEXIST, NEG_EINVAL, NEG_ENOENT, NEG_ENOMEM, NEG_ENOSPC } from './errno.js';
import { check, fail, MapBase, putU32, u32At } from './map-base.js';
import { copyBytes, loadMapValue, storeMapValue } from './value-layout.js';

/** `LPM_TREE_NODE_FLAG_IM`: a node that only joins two subtrees and holds no value. */
const FLAG_IM = 1;
/** Nodes a trie allocates at a time at first (doubling after). */
const FIRST_SLAB = 16;

/**
 * `BPF_MAP_TYPE_LPM_TRIE` (lpm_trie.c): the kernel's binary trie of prefixes,
 * with intermediate nodes where two prefixes part, so that lookups find the
 * longest match and `get_next_key` walks in the kernel's post-order. Each node
 * is `[data, data_size][value]` in the arena; the value address is what a
 * program's lookup gets. Keys are `struct bpf_lpm_trie_key_u8`: a u32
 * prefix length then the data.
 *
 * @example
 * const trie = maps.get(BpfMapType.BPF_MAP_TYPE_LPM_TRIE)!.create(spec);
 * trie.sysUpdate(key24, value, BPF_ANY, {}); // key: u32 prefixlen, then the data
 * trie.sysLookup(key32, 0); // the value of the longest prefix containing key32
 */
export class LpmTrieMap extends MapBase {
  readonly #dataSize: number;
  readonly #maxPrefixlen: number;
  readonly #nodeSize: number;
  #root = -1;
  #entries = 0;
  #child0: Int32Array = new Int32Array(0);
  #child1: Int32Array = new Int32Array(0);
  #prefixlen = new Uint32Array(0);
  #flags = new Uint8Array(0);
  #addrs = new Uint32Array(0);
  #free: Int32Array = new Int32Array(0);
  #freeTop = 0;
  #capacity = 0;
  readonly #maxNodes: number;
  /** The path `get_next_key` keeps (`node_stack`). */
  readonly #stack: Int32Array;

  constructor(env: MapEnv, spec: MapRuntimeSpec) {
    super(env, spec);
    this.#dataSize = spec.info.keySize - 4;
    this.#maxPrefixlen = this.#dataSize * 8;
    this.#nodeSize = this.#dataSize + spec.info.valueSize;
    // Every entry, an intermediate node per entry, and the new node of an update in flight.
    this.#maxNodes = spec.info.maxEntries * 2 + 2;
    this.#stack = new Int32Array(this.#maxPrefixlen + 2);
    this.#grow(Math.min(FIRST_SLAB, this.#maxNodes), true);
  }

  protected override get typeName(): string {
    return 'lpm_trie';
  }

  #grow(target: number, atCreate: boolean): boolean {
    const old = this.#capacity;
    const want = Math.min(target, this.#maxNodes);
    if (want <= old) return false;
    const slab = atCreate ? this.alloc((want - old) * this.#nodeSize) : this.allocMore((want - old) * this.#nodeSize);
    if (slab < 0) return false;
    const i32 = (a: Int32Array): Int32Array => { const b = new Int32Array(want); b.set(a); return b; };
    this.#child0 = i32(this.#child0);
    this.#child1 = i32(this.#child1);
    this.#free = i32(this.#free);
    const p = new Uint32Array(want); p.set(this.#prefixlen); this.#prefixlen = p;
    const f = new Uint8Array(want); f.set(this.#flags); this.#flags = f;
    const a = new Uint32Array(want); a.set(this.#addrs); this.#addrs = a;
    for (let i = want - 1; i >= old; i--) {
      this.#addrs[i] = slab + (i - old) * this.#nodeSize;
      this.#free[this.#freeTop++] = i;
    }
    this.#capacity = want;
    return true;
  }

  #allocNode(): number {
    if (this.#freeTop === 0) this.#grow(Math.max(this.#capacity * 2, FIRST_SLAB), false);
    if (this.#freeTop === 0) return -1;
    const n = this.#free[--this.#freeTop] ?? -1;
    this.#child0[n] = -1;
    this.#child1[n] = -1;
    this.#flags[n] = 0;
    return n;
  }

  #freeNode(n: number): void {
    this.#free[this.#freeTop++] = n;
  }

  #child(n: number, bit: number): number {
    return (bit === 0 ? this.#child0[n] : this.#child1[n]) ?? -1;
  }

  /** `extract_bit`: bit `index` of the data, most significant bit first. */
  #bitOf(b: Uint8Array, dataOff: number, index: number): number {
    return ((b[dataOff + (index >>> 3)] ?? 0) >>> (7 - (index & 7))) & 1;
  }

  /** `longest_prefix_match`: leading bits the node and the key share, up to the shorter prefix. */
  #match(n: number, kb: Uint8Array, dataOff: number, keyPrefixlen: number): number {
    const limit = Math.min(this.#prefixlen[n] ?? 0, keyPrefixlen);
    const bytes = this.bytes;
    const a = this.#addrs[n] ?? 0;
    let len = 0;
    for (let i = 0; len < limit && i < this.#dataSize; i++) {
      const diff = ((bytes[a + i] ?? 0) ^ (kb[dataOff + i] ?? 0)) & 0xff;
      if (diff !== 0) {
        len += Math.clz32(diff) - 24;
        break;
      }
      len += 8;
    }
    return Math.min(len, limit);
  }

  /** `trie_lookup_elem`: the node of the longest prefix containing the key, or -1. */
  #lookup(kb: Uint8Array, ko: number): number {
    const keyPrefixlen = u32At(kb, ko);
    let found = -1;
    let n = this.#root;
    while (n >= 0) {
      const matchlen = this.#match(n, kb, ko + 4, keyPrefixlen);
      if (matchlen === this.#maxPrefixlen) return n;
      if (matchlen < (this.#prefixlen[n] ?? 0)) break;
      if ((this.#flags[n] ?? 0) === 0) found = n;
      n = this.#child(n, this.#bitOf(kb, ko + 4, this.#prefixlen[n] ?? 0));
    }
    return found;
  }

  /** `trie_check_add_elem`. */
  #checkAdd(flags: number): number {
    if (flags === BPF_EXIST) return NEG_ENOENT;
    if (this.#entries === this.info.maxEntries) return NEG_ENOSPC;
    this.#entries++;
    return 0;
  }

  /** Points whatever held `old` (the root or a parent's child) at `n`. */
  #setSlot(parent: number, bit: number, n: number): void {
    if (parent < 0) this.#root = n;
    else if (bit === 0) this.#child0[parent] = n;
    else this.#child1[parent] = n;
  }

  /** `trie_update_elem`: `kb`/`vb` null means the arena. */
  #update(kbIn: Uint8Array | null, ko: number, vbIn: Uint8Array | null, vo: number, flags: number): number {
    if (flags > BPF_EXIST) return NEG_EINVAL;
    const keyPrefixlen = u32At(kbIn ?? this.bytes, ko);
    if (keyPrefixlen > this.#maxPrefixlen) return NEG_EINVAL;
    const fresh = this.#allocNode();
    if (fresh < 0) return NEG_ENOMEM;
    const bytes = this.bytes;
    const kb = kbIn ?? bytes;
    const vb = vbIn ?? bytes;
    const dataOff = ko + 4;
    const fa = this.#addrs[fresh] ?? 0;
    bytes.fill(0, fa, fa + this.#nodeSize);
    this.#prefixlen[fresh] = keyPrefixlen;
    copyBytes(bytes, fa, kb, dataOff, this.#dataSize);
    storeMapValue(this.layout, bytes, fa + this.#dataSize, vb, vo, false);

    let parent = -1;
    let bit = 0;
    let n = this.#root;
    let matchlen = 0;
    while (n >= 0) {
      matchlen = this.#match(n, kb, dataOff, keyPrefixlen);
      const pl = this.#prefixlen[n] ?? 0;
      if (pl !== matchlen || pl === keyPrefixlen) break;
      parent = n;
      bit = this.#bitOf(kb, dataOff, pl);
      n = this.#child(n, bit);
    }
    if (n < 0) {
      const r = this.#checkAdd(flags);
      if (r !== 0) {
        this.#freeNode(fresh);
        return r;
      }
      this.#setSlot(parent, bit, fresh);
      return 0;
    }
    if ((this.#prefixlen[n] ?? 0) === matchlen) {
      // Same prefix: the new node takes the old one's place and children.
      let r = 0;
      if ((this.#flags[n] ?? 0) === 0) {
        if (flags === BPF_NOEXIST) r = NEG_EEXIST;
      } else {
        r = this.#checkAdd(flags);
      }
      if (r !== 0) {
        this.#freeNode(fresh);
        return r;
      }
      this.#child0[fresh] = this.#child0[n] ?? -1;
      this.#child1[fresh] = this.#child1[n] ?? -1;
      this.#setSlot(parent, bit, fresh);
      this.#freeNode(n);
      return 0;
    }
    const r = this.#checkAdd(flags);
    if (r !== 0) {
      this.#freeNode(fresh);
      return r;
    }
    if (matchlen === keyPrefixlen) {
      // The new prefix contains the node's: it becomes its parent.
      const nb = this.#bitOf(this.bytes, this.#addrs[n] ?? 0, matchlen);
      if (nb === 0) this.#child0[fresh] = n;
      else this.#child1[fresh] = n;
      this.#setSlot(parent, bit, fresh);
      return 0;
    }
    const im = this.#allocNode();
    if (im < 0) {
      this.#entries--;
      this.#freeNode(fresh);
      return NEG_ENOMEM;
    }
    const b2 = this.bytes;
    this.#prefixlen[im] = matchlen;
    this.#flags[im] = FLAG_IM;
    copyBytes(b2, this.#addrs[im] ?? 0, b2, this.#addrs[n] ?? 0, this.#dataSize);
    if (this.#bitOf(kbIn ?? b2, dataOff, matchlen) === 1) {
      this.#child0[im] = n;
      this.#child1[im] = fresh;
    } else {
      this.#child0[im] = fresh;
      this.#child1[im] = n;
    }
    this.#setSlot(parent, bit, im);
    return 0;
  }

  /** `trie_delete_elem`. */
  #delete(kb: Uint8Array, ko: number): number {
    const keyPrefixlen = u32At(kb, ko);
    if (keyPrefixlen > this.#maxPrefixlen) return NEG_EINVAL;
    const dataOff = ko + 4;
    let parent = -1;
    let parentBit = 0;
    let grand = -1;
    let grandBit = 0;
    let n = this.#root;
    let matchlen = 0;
    while (n >= 0) {
      matchlen = this.#match(n, kb, dataOff, keyPrefixlen);
      const pl = this.#prefixlen[n] ?? 0;
      if (pl !== matchlen || pl === keyPrefixlen) break;
      grand = parent;
      grandBit = parentBit;
      parent = n;
      parentBit = this.#bitOf(kb, dataOff, pl);
      n = this.#child(n, parentBit);
    }
    if (n < 0 || this.#prefixlen[n] !== keyPrefixlen || this.#prefixlen[n] !== matchlen || (this.#flags[n] ?? 0) !== 0) return NEG_ENOENT;
    this.#entries--;
    const c0 = this.#child0[n] ?? -1;
    const c1 = this.#child1[n] ?? -1;
    if (c0 >= 0 && c1 >= 0) {
      this.#flags[n] = FLAG_IM;
      return 0;
    }
    if (parent >= 0 && (this.#flags[parent] ?? 0) !== 0 && c0 < 0 && c1 < 0) {
      // A leaf under an intermediate node: the sibling takes the intermediate node's place.
      const sibling = this.#child0[parent] === n ? this.#child1[parent] ?? -1 : this.#child0[parent] ?? -1;
      this.#setSlot(grand, grandBit, sibling);
      this.#freeNode(parent);
      this.#freeNode(n);
      return 0;
    }
    this.#setSlot(parent, parentBit, c0 >= 0 ? c0 : c1);
    this.#freeNode(n);
    return 0;
  }

  /** `trie_get_next_key`: post-order; a missing or invalid key starts at the leftmost node. */
  #nextKey(key: Uint8Array | undefined): number {
    let searchRoot = this.#root;
    if (searchRoot < 0) return -1;
    if (key !== undefined && u32At(key, 0) <= this.#maxPrefixlen) {
      const keyPrefixlen = u32At(key, 0);
      const stack = this.#stack;
      let sp = -1;
      let n = searchRoot;
      let matchlen = 0;
      while (n >= 0) {
        stack[++sp] = n;
        matchlen = this.#match(n, key, 4, keyPrefixlen);
        const pl = this.#prefixlen[n] ?? 0;
        if (pl !== matchlen || pl === keyPrefixlen) break;
        n = this.#child(n, this.#bitOf(key, 4, pl));
      }
      if (n >= 0 && this.#prefixlen[n] === matchlen && (this.#flags[n] ?? 0) === 0) {
        n = stack[sp] ?? -1;
        let found = -2;
        while (sp > 0) {
          const parent = stack[sp - 1] ?? -1;
          if (this.#child0[parent] === n) {
            const right = this.#child1[parent] ?? -1;
            if (right >= 0) {
              searchRoot = right;
              found = -1;
              break;
            }
          }
          if ((this.#flags[parent] ?? 0) === 0) return parent;
          n = parent;
          sp--;
        }
        if (found === -2) return -1;
      }
    }
    // The leftmost node that is not intermediate, in post-order.
    let next = -1;
    let n = searchRoot;
    while (n >= 0) {
      if ((this.#flags[n] ?? 0) !== 0) {
        n = this.#child0[n] ?? -1;
      } else {
        next = n;
        n = this.#child0[n] ?? -1;
        if (n < 0) n = this.#child1[next] ?? -1;
      }
    }
    return next;
  }

  override lookupElem(keyAddr: number): number {
    const n = this.#lookup(this.bytes, keyAddr);
    return n < 0 ? 0 : (this.#addrs[n] ?? 0) + this.#dataSize;
  }
  override updateElem(keyAddr: number, valueAddr: number, flags: number): number {
    return this.#update(null, keyAddr, null, valueAddr, flags);
  }
  override deleteElem(keyAddr: number): number {
    return this.#delete(this.bytes, keyAddr);
  }

  sysLookup(key: Uint8Array): Uint8Array {
    const n = this.#lookup(this.checkSize(key, this.info.keySize, 'key'), 0);
    if (n < 0) fail('ENOENT', 'lpm-no-match', 'no prefix contains this key');
    return loadMapValue(this.layout, this.bytes, (this.#addrs[n] ?? 0) + this.#dataSize);
  }
  sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): void {
    this.checkSize(key, this.info.keySize, 'key');
    this.checkSize(value, this.info.valueSize, 'value');
    check(this.#update(key, 0, value, 0, flags), 'lpm-update', 'update refused');
  }
  sysDelete(key: Uint8Array): void {
    check(this.#delete(this.checkSize(key, this.info.keySize, 'key'), 0), 'lpm-delete', 'no such prefix');
  }
  sysGetNextKey(key: Uint8Array | undefined): Uint8Array {
    const n = this.#nextKey(key);
    if (n < 0) fail('ENOENT', 'lpm-last-key', 'no key after this one');
    const out = new Uint8Array(this.info.keySize);
    putU32(out, 0, this.#prefixlen[n] ?? 0);
    copyBytes(out, 4, this.bytes, this.#addrs[n] ?? 0, this.#dataSize);
    return out;
  }
}
