// The LRU lists of kernel/bpf/bpf_lru_list.c over element indices, in typed
// arrays: an active, an inactive and a free list (one set shared by every CPU
// plus a per-CPU free and pending list, or one set per CPU with
// BPF_F_NO_COMMON_LRU), the ref bit programs' lookups set, rotation and
// shrinking as the kernel does them, so the same keys get evicted.

const T_ACTIVE = 0;
const T_INACTIVE = 1;
const T_FREE = 2;
const T_LOCAL_FREE = 3;
const T_LOCAL_PENDING = 4;

/** `LOCAL_FREE_TARGET`, also the common LRU's `nr_scans`. */
const LOCAL_FREE_TARGET = 128;
/** `PERCPU_FREE_TARGET`, also the per-CPU LRU's `nr_scans`. */
const PERCPU_FREE_TARGET = 4;

/**
 * `struct bpf_lru`: nodes `0..nNodes-1` are the hash table's elements.
 * `delFromHtab(node)` is `htab_lru_map_delete_node`: unlinks the element if it
 * is still in the table.
 *
 * @example
 * const lru = new BpfLru(8, 2, false, (node) => table.unlink(node));
 * const node = lru.popFree(0); // an element to fill, or -1
 */
export class BpfLru {
  readonly #n: number;
  readonly #cpus: number;
  readonly #percpu: boolean;
  readonly #nrScans: number;
  readonly #targetFree: number;
  readonly #del: (node: number) => boolean;
  readonly #prev: Int32Array;
  readonly #next: Int32Array;
  readonly #type: Uint8Array;
  readonly #ref: Uint8Array;
  readonly #cpu: Int32Array;
  /** Per `bpf_lru_list`: counts of active and inactive nodes, and `next_inactive_rotation`. */
  readonly #counts: Int32Array;
  readonly #nextRotation: Int32Array;
  /** The common LRU's per-CPU `next_steal`. */
  readonly #nextSteal: Int32Array;
  /** First sentinel of the per-CPU local lists (common LRU only). */
  readonly #localBase: number;

  constructor(nNodes: number, cpus: number, percpu: boolean, delFromHtab: (node: number) => boolean) {
    this.#n = nNodes;
    this.#cpus = cpus;
    this.#percpu = percpu;
    this.#del = delFromHtab;
    this.#nrScans = percpu ? PERCPU_FREE_TARGET : LOCAL_FREE_TARGET;
    const lists = percpu ? cpus : 1;
    this.#localBase = nNodes + lists * 3;
    const sentinels = lists * 3 + (percpu ? 0 : cpus * 2);
    this.#prev = new Int32Array(nNodes + sentinels);
    this.#next = new Int32Array(nNodes + sentinels);
    for (let s = nNodes; s < nNodes + sentinels; s++) {
      this.#prev[s] = s;
      this.#next[s] = s;
    }
    this.#type = new Uint8Array(nNodes);
    this.#ref = new Uint8Array(nNodes);
    this.#cpu = new Int32Array(nNodes);
    this.#counts = new Int32Array(lists * 2);
    this.#nextRotation = new Int32Array(lists);
    for (let l = 0; l < lists; l++) this.#nextRotation[l] = this.#head(l, T_INACTIVE);
    this.#nextSteal = Int32Array.from({ length: cpus }, (_, c) => c);
    // bpf_lru_populate
    if (percpu) {
      const per = Math.floor(nNodes / cpus);
      let i = 0;
      for (let c = 0; c < cpus && i < nNodes; c++) {
        do {
          this.#cpu[i] = c;
          this.#type[i] = T_FREE;
          this.#add(i, this.#head(c, T_FREE));
          i++;
        } while (i < nNodes && i % per !== 0);
      }
      this.#targetFree = PERCPU_FREE_TARGET;
    } else {
      for (let i = 0; i < nNodes; i++) {
        this.#type[i] = T_FREE;
        this.#add(i, this.#head(0, T_FREE));
      }
      this.#targetFree = Math.min(Math.max(Math.floor(Math.floor(nNodes / cpus) / 2), 1), LOCAL_FREE_TARGET);
    }
  }

  /** `bpf_lru_node_set_ref`: a program looked the element up. */
  setRef(node: number): void {
    this.#ref[node] = 1;
  }

  /** `bpf_lru_pop_free` on `cpu`: a free element (evicting if needed), or -1. */
  popFree(cpu: number): number {
    return this.#percpu ? this.#percpuPopFree(cpu) : this.#commonPopFree(cpu);
  }

  /** `bpf_lru_push_free`: the element left the table. */
  pushFree(node: number): void {
    if (this.#percpu) {
      this.#move(this.#cpu[node] ?? 0, node, T_FREE);
      return;
    }
    const t = this.#type[node];
    if (t === T_LOCAL_PENDING) {
      this.#type[node] = T_LOCAL_FREE;
      this.#ref[node] = 0;
      this.#moveTo(node, this.#localHead(this.#cpu[node] ?? 0, 0));
      return;
    }
    if (t === T_FREE || t === T_LOCAL_FREE) return;
    this.#move(0, node, T_FREE);
  }

  // --- list primitives (include/linux/list.h) ---
  #head(list: number, type: number): number {
    return this.#n + list * 3 + type;
  }
  #localHead(cpu: number, which: 0 | 1): number {
    return this.#localBase + cpu * 2 + which;
  }
  #unlink(node: number): void {
    const p = this.#prev[node] ?? node;
    const nx = this.#next[node] ?? node;
    this.#next[p] = nx;
    this.#prev[nx] = p;
  }
  #add(node: number, head: number): void {
    const first = this.#next[head] ?? head;
    this.#next[node] = first;
    this.#prev[node] = head;
    this.#prev[first] = node;
    this.#next[head] = node;
  }
  #moveTo(node: number, head: number): void {
    this.#unlink(node);
    this.#add(node, head);
  }
  #countInc(list: number, type: number): void {
    if (type < 2) this.#counts[list * 2 + type] = (this.#counts[list * 2 + type] ?? 0) + 1;
  }
  #countDec(list: number, type: number): void {
    if (type < 2) this.#counts[list * 2 + type] = (this.#counts[list * 2 + type] ?? 0) - 1;
  }

  // --- bpf_lru_list operations ---
  #moveToFree(list: number, node: number, freeHead: number, tgtType: number): void {
    if (node === this.#nextRotation[list]) this.#nextRotation[list] = this.#prev[node] ?? node;
    this.#countDec(list, this.#type[node] ?? 0);
    this.#type[node] = tgtType;
    this.#moveTo(node, freeHead);
  }
  #moveIn(list: number, node: number, tgtType: number): void {
    this.#countInc(list, tgtType);
    this.#type[node] = tgtType;
    this.#ref[node] = 0;
    this.#moveTo(node, this.#head(list, tgtType));
  }
  #move(list: number, node: number, tgtType: number): void {
    const t = this.#type[node] ?? 0;
    if (t !== tgtType) {
      this.#countDec(list, t);
      this.#countInc(list, tgtType);
      this.#type[node] = tgtType;
    }
    this.#ref[node] = 0;
    if (node === this.#nextRotation[list]) this.#nextRotation[list] = this.#prev[node] ?? node;
    this.#moveTo(node, this.#head(list, tgtType));
  }
  #rotateActive(list: number): void {
    const active = this.#head(list, T_ACTIVE);
    const first = this.#next[active] ?? active;
    let node = this.#prev[active] ?? active;
    let i = 0;
    while (node !== active) {
      const tmp = this.#prev[node] ?? active;
      this.#move(list, node, this.#ref[node] === 1 ? T_ACTIVE : T_INACTIVE);
      if (++i === this.#nrScans || node === first) break;
      node = tmp;
    }
  }
  #rotateInactive(list: number): void {
    const inactive = this.#head(list, T_INACTIVE);
    if (this.#next[inactive] === inactive) return;
    const start = this.#nextRotation[list] ?? inactive;
    let last = this.#next[start] ?? inactive;
    if (last === inactive) last = this.#next[last] ?? inactive;
    let cur = start;
    let next = inactive;
    let i = 0;
    while (i < this.#nrScans) {
      if (cur === inactive) {
        cur = this.#prev[cur] ?? inactive;
        continue;
      }
      next = this.#prev[cur] ?? inactive;
      if (this.#ref[cur] === 1) this.#move(list, cur, T_ACTIVE);
      if (cur === last) break;
      cur = next;
      i++;
    }
    this.#nextRotation[list] = next;
  }
  #shrinkInactive(list: number, tgt: number, freeHead: number, tgtType: number): number {
    const inactive = this.#head(list, T_INACTIVE);
    let node = this.#prev[inactive] ?? inactive;
    let shrunk = 0;
    let i = 0;
    while (node !== inactive) {
      const tmp = this.#prev[node] ?? inactive;
      if (this.#ref[node] === 1) {
        this.#move(list, node, T_ACTIVE);
      } else if (this.#del(node)) {
        this.#moveToFree(list, node, freeHead, tgtType);
        if (++shrunk === tgt) break;
      }
      if (++i === this.#nrScans) break;
      node = tmp;
    }
    return shrunk;
  }
  #rotate(list: number): void {
    if ((this.#counts[list * 2 + T_INACTIVE] ?? 0) < (this.#counts[list * 2 + T_ACTIVE] ?? 0)) this.#rotateActive(list);
    this.#rotateInactive(list);
  }
  #shrink(list: number, tgt: number, freeHead: number, tgtType: number): number {
    const shrunk = this.#shrinkInactive(list, tgt, freeHead, tgtType);
    if (shrunk !== 0) return shrunk;
    // Nothing without its ref bit: force one out, the inactive list first.
    const inactive = this.#head(list, T_INACTIVE);
    const victims = this.#next[inactive] !== inactive ? inactive : this.#head(list, T_ACTIVE);
    let node = this.#prev[victims] ?? victims;
    while (node !== victims) {
      const tmp = this.#prev[node] ?? victims;
      if (this.#del(node)) {
        this.#moveToFree(list, node, freeHead, tgtType);
        return 1;
      }
      node = tmp;
    }
    return 0;
  }

  // --- per-CPU LRU (BPF_F_NO_COMMON_LRU) ---
  #percpuPopFree(cpu: number): number {
    this.#rotate(cpu);
    const free = this.#head(cpu, T_FREE);
    if (this.#next[free] === free) this.#shrink(cpu, PERCPU_FREE_TARGET, free, T_FREE);
    const node = this.#next[free] ?? free;
    if (node === free) return -1;
    this.#ref[node] = 0;
    this.#move(cpu, node, T_INACTIVE);
    return node;
  }

  // --- common LRU ---
  #localFlush(cpu: number): void {
    const pending = this.#localHead(cpu, 1);
    let node = this.#prev[pending] ?? pending;
    while (node !== pending) {
      const tmp = this.#prev[node] ?? pending;
      this.#moveIn(0, node, this.#ref[node] === 1 ? T_ACTIVE : T_INACTIVE);
      node = tmp;
    }
  }
  #popFreeToLocal(cpu: number): void {
    const localFree = this.#localHead(cpu, 0);
    this.#localFlush(cpu);
    this.#rotate(0);
    const free = this.#head(0, T_FREE);
    let nfree = 0;
    let node = this.#next[free] ?? free;
    while (node !== free) {
      const tmp = this.#next[node] ?? free;
      this.#moveToFree(0, node, localFree, T_LOCAL_FREE);
      if (++nfree === this.#targetFree) break;
      node = tmp;
    }
    if (nfree < this.#targetFree) this.#shrink(0, this.#targetFree - nfree, localFree, T_LOCAL_FREE);
  }
  #localPopFree(cpu: number): number {
    const head = this.#localHead(cpu, 0);
    const node = this.#next[head] ?? head;
    if (node === head) return -1;
    this.#unlink(node);
    return node;
  }
  #localPopPending(cpu: number): number {
    const pending = this.#localHead(cpu, 1);
    for (let pass = 0; pass < 2; pass++) {
      // The second pass ignores the ref bit.
      let node = this.#prev[pending] ?? pending;
      while (node !== pending) {
        if ((this.#ref[node] === 0 || pass === 1) && this.#del(node)) {
          this.#unlink(node);
          return node;
        }
        node = this.#prev[node] ?? pending;
      }
    }
    return -1;
  }
  #addPending(cpu: number, node: number): void {
    this.#cpu[node] = cpu;
    this.#type[node] = T_LOCAL_PENDING;
    this.#ref[node] = 0;
    this.#add(node, this.#localHead(cpu, 1));
  }
  #commonPopFree(cpu: number): number {
    let node = this.#localPopFree(cpu);
    if (node < 0) {
      this.#popFreeToLocal(cpu);
      node = this.#localPopFree(cpu);
    }
    if (node >= 0) {
      this.#addPending(cpu, node);
      return node;
    }
    // Nothing free here or globally: steal from the CPUs' local lists in turn.
    const first = this.#nextSteal[cpu] ?? cpu;
    let steal = first;
    do {
      node = this.#localPopFree(steal);
      if (node < 0) node = this.#localPopPending(steal);
      steal = (steal + 1) % this.#cpus;
    } while (node < 0 && steal !== first);
    this.#nextSteal[cpu] = steal;
    if (node >= 0) this.#addPending(cpu, node);
    return node;
  }
}
