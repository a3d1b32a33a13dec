import type { MapRuntimeSpec } from '@bpfkit/kernel-api';
import type { MapEnv } from '../deps.js';
import { fail, MapBase, u32At, u32Bytes } from './map-base.js';

/**
 * `BPF_MAP_TYPE_STACK_TRACE` (stackmap.c): `roundup_pow_of_two(max_entries)`
 * buckets of stack traces by id, filled by `bpf_get_stackid` ({@link store}).
 * User space reads (lookup, lookup-and-delete), deletes and walks them; it
 * cannot write them (EINVAL).
 *
 * @example
 * const stacks = maps.get(BpfMapType.BPF_MAP_TYPE_STACK_TRACE)!.create(spec) as StackTraceMap;
 * stacks.store(3, ips);
 * stacks.sysLookupAndDelete(u32(3), 0); // the ips, zero-padded
 */
export class StackTraceMap extends MapBase {
  readonly #traces: (Uint8Array | undefined)[];

  constructor(env: MapEnv, spec: MapRuntimeSpec) {
    super(env, spec);
    let n = 1;
    while (n < spec.info.maxEntries) n *= 2;
    this.#traces = new Array<Uint8Array | undefined>(n).fill(undefined);
  }

  protected override get typeName(): string {
    return 'stack_trace';
  }

  /** Stores a trace in bucket `id` (what `bpf_get_stackid` does), zero-padded to value_size. */
  store(id: number, trace: Uint8Array): void {
    if (id < 0 || id >= this.#traces.length) throw new RangeError(`stack trace map: no bucket ${id}`);
    const v = new Uint8Array(this.info.valueSize);
    v.set(trace.subarray(0, this.info.valueSize));
    this.#traces[id] = v;
  }


  sysLookup(key: Uint8Array): Uint8Array {
    const id = u32At(this.checkSize(key, 4, 'key'), 0);
    const t = id < this.#traces.length ? this.#traces[id] : undefined;
    if (t === undefined) fail('ENOENT', 'stack-trace-no-id', `no stack trace with id ${id}`);
    return t.slice();
  }
  override sysLookupAndDelete(key: Uint8Array | undefined): Uint8Array {
    const k = this.checkSize(key, 4, 'key');
    const out = this.sysLookup(k);
    this.#traces[u32At(k, 0)] = undefined;
    return out;
  }
  sysUpdate(): void {
    fail('EINVAL', 'stack-trace-update', 'stack traces are written by bpf_get_stackid only');
  }
  sysDelete(key: Uint8Array): void {
    const id = u32At(this.checkSize(key, 4, 'key'), 0);
    if (id >= this.#traces.length) fail('E2BIG', 'stack-trace-id', `id ${id} is past the buckets`);
    if (this.#traces[id] === undefined) fail('ENOENT', 'stack-trace-no-id', `no stack trace with id ${id}`);
    this.#traces[id] = undefined;
  }
  sysGetNextKey(key: Uint8Array | undefined): Uint8Array {
    let id = 0;
    if (key !== undefined) {
      const k = u32At(key, 0);
      id = k >= this.#traces.length || this.#traces[k] === undefined ? 0 : k + 1;
    }
    while (id < this.#traces.length && this.#traces[id] === undefined) id++;
    if (id >= this.#traces.length) fail('ENOENT', 'stack-trace-last-key', 'no stack trace after this one');
    return u32Bytes(id);
  }
}
