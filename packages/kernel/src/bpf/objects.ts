import type { BpfTokenInfo } from '@bpfkit/kernel-api';
import { IdAllocator } from '../ids.js';
import { RefCounted } from '../refcount.js';

/** The kinds of BPF objects the kernel keeps alive by reference. */
export type BpfObjectKind = 'map' | 'prog' | 'btf' | 'token' | 'link';

/**
 * A BPF object (`struct bpf_map`, `bpf_prog`, `btf`, `bpf_token`) with its id
 * and refcount. fds, pins and other objects hold references; the last put
 * frees it and runs `release`.
 */
export class BpfObject extends RefCounted {
  constructor(
    readonly kind: BpfObjectKind,
    /** The id of the kind's IDR (tokens reuse the token service's id). */
    readonly id: number,
    readonly name: string,
    /** The subsystem's own object (a map instance, verified program, parsed BTF, token info). */
    readonly impl: unknown,
    private readonly onFree: (o: BpfObject) => void,
    /** Other objects this one holds (a program's token, a map's BTF). */
    readonly holds: readonly BpfObject[] = [],
  ) {
    super();
  }

  protected release(): void {
    this.onFree(this);
    for (const h of this.holds) h.put();
  }

  /** The token info, when this is a token. */
  get token(): BpfTokenInfo | undefined {
    return this.kind === 'token' ? (this.impl as BpfTokenInfo) : undefined;
  }
}

/** Every live BPF object, by kind and id: the IDRs plus leak accounting. */
export class ObjectRegistry {
  readonly #ids = new Map<BpfObjectKind, IdAllocator>();
  readonly #live = new Map<BpfObjectKind, Map<number, BpfObject>>();
  /** Objects the kernel itself owns (the vmlinux BTF): not counted as leaks. */
  readonly #pinnedByKernel = new Set<BpfObject>();

  /** Next id of `kind` (`bpf_map_alloc_id` and friends). */
  nextId(kind: BpfObjectKind): number {
    let a = this.#ids.get(kind);
    if (a === undefined) {
      a = new IdAllocator(1);
      this.#ids.set(kind, a);
    }
    return a.alloc();
  }

  /** Registers a new object with one reference (the caller's). */
  create(
    kind: BpfObjectKind,
    id: number,
    name: string,
    impl: unknown,
    onFree: (o: BpfObject) => void = () => undefined,
    holds: readonly BpfObject[] = [],
  ): BpfObject {
    let byId = this.#live.get(kind);
    if (byId === undefined) {
      byId = new Map();
      this.#live.set(kind, byId);
    }
    const table = byId;
    const o = new BpfObject(kind, id, name, impl, (dead) => {
      table.delete(dead.id);
      onFree(dead);
    }, holds);
    table.set(id, o);
    return o.get();
  }

  /** Marks an object as owned by the kernel for its whole life (kept out of leak counts). */
  ownByKernel(o: BpfObject): void {
    this.#pinnedByKernel.add(o);
  }

  /** `idr_get_next`: the smallest live id of `kind` at or above `from`. */
  nextLiveId(kind: BpfObjectKind, from: number): number | undefined {
    let best: number | undefined;
    for (const id of this.#live.get(kind)?.keys() ?? []) {
      if (id >= from && (best === undefined || id < best)) best = id;
    }
    return best;
  }

  byId(kind: BpfObjectKind, id: number): BpfObject | undefined {
    return this.#live.get(kind)?.get(id);
  }

  counts(): { total: number; byKind: Record<string, number> } {
    const byKind: Record<string, number> = {};
    let total = 0;
    for (const [kind, table] of this.#live) {
      let n = 0;
      for (const o of table.values()) if (!this.#pinnedByKernel.has(o)) n++;
      byKind[kind] = n;
      total += n;
    }
    return { total, byKind };
  }
}
