import type { MapRuntimeSpec } from '@bpfkit/kernel-api';
import { BPF_EXIST, BPF_NOEXIST } from '@bpfkit/uapi';
import type { MapEnv } from '../deps.js';
import { NEG_E2BIG, NEG_EINVAL, NEG_ENOENT } from './errno.js';
import { check, fail, MapBase } from './map-base.js';
import { copyBytes } from './value-layout.js';

/**
 * `BPF_MAP_TYPE_QUEUE` and `BPF_MAP_TYPE_STACK` (queue_stack_maps.c): a ring of
 * `max_entries + 1` value slots with a head and a tail. Push with BPF_EXIST
 * drops the oldest value when full; pop and peek of an empty map zero the
 * destination and give ENOENT. The syscall half maps lookup to peek, update to
 * push and lookup-and-delete to pop; delete and get_next_key are EINVAL.
 *
 * @example
 * const queue = maps.get(BpfMapType.BPF_MAP_TYPE_QUEUE)!.create(spec);
 * queue.pushElem(valueAddr, BPF_EXIST); // when full, the oldest value goes
 */
export class QueueStackMap extends MapBase {
  readonly #lifo: boolean;
  readonly #size: number;
  readonly #elements: number;
  #head = 0;
  #tail = 0;

  constructor(env: MapEnv, spec: MapRuntimeSpec, lifo: boolean) {
    super(env, spec);
    this.#lifo = lifo;
    this.#size = spec.info.maxEntries + 1;
    this.#elements = this.alloc(this.#size * spec.info.valueSize);
  }

  protected override get typeName(): string {
    return this.#lifo ? 'stack' : 'queue';
  }

  #isFull(): boolean {
    const head = this.#head + 1 >= this.#size ? 0 : this.#head + 1;
    return head === this.#tail;
  }

  /** `__queue_map_get` / `__stack_map_get` into `dst[dstOff]`. */
  #get(dst: Uint8Array | null, dstOff: number, remove: boolean): number {
    const vs = this.info.valueSize;
    const bytes = this.bytes;
    const out = dst ?? bytes;
    if (this.#head === this.#tail) {
      out.fill(0, dstOff, dstOff + vs);
      return NEG_ENOENT;
    }
    let index: number;
    if (this.#lifo) {
      index = this.#head - 1;
      if (index < 0) index = this.#size - 1;
      if (remove) this.#head = index;
    } else {
      index = this.#tail;
      if (remove) this.#tail = this.#tail + 1 >= this.#size ? 0 : this.#tail + 1;
    }
    copyBytes(out, dstOff, bytes, this.#elements + index * vs, vs);
    return 0;
  }

  /** `queue_stack_map_push_elem`. */
  #push(src: Uint8Array | null, srcOff: number, flags: number): number {
    if ((flags & BPF_NOEXIST) !== 0 || flags > BPF_EXIST) return NEG_EINVAL;
    if (this.#isFull()) {
      if ((flags & BPF_EXIST) === 0) return NEG_E2BIG;
      // Make room by dropping the oldest value, for a stack too.
      this.#tail = this.#tail + 1 >= this.#size ? 0 : this.#tail + 1;
    }
    const vs = this.info.valueSize;
    const bytes = this.bytes;
    copyBytes(bytes, this.#elements + this.#head * vs, src ?? bytes, srcOff, vs);
    this.#head = this.#head + 1 >= this.#size ? 0 : this.#head + 1;
    return 0;
  }

  override pushElem(valueAddr: number, flags: number): number {
    return this.#push(null, valueAddr, flags);
  }
  override popElem(valueAddr: number): number {
    return this.#get(null, valueAddr, true);
  }
  override peekElem(valueAddr: number): number {
    return this.#get(null, valueAddr, false);
  }

  sysLookup(): Uint8Array {
    const out = new Uint8Array(this.info.valueSize);
    check(this.#get(out, 0, false), 'queue-stack-empty', `the ${this.typeName} is empty`);
    return out;
  }
  sysUpdate(_key: Uint8Array, value: Uint8Array, flags: number): void {
    check(this.#push(this.checkSize(value, this.info.valueSize, 'value'), 0, flags), 'queue-stack-push', `push onto the ${this.typeName} refused`);
  }
  sysDelete(): void {
    fail('EINVAL', 'queue-stack-delete', `${this.typeName} maps have no delete`);
  }
  sysGetNextKey(): Uint8Array {
    return fail('EINVAL', 'queue-stack-get-next-key', `${this.typeName} maps have no keys`);
  }
  override sysLookupAndDelete(_key: Uint8Array | undefined, flags: number): Uint8Array {
    if (flags !== 0) fail('EINVAL', 'queue-stack-pop-flags', 'pop takes no flags');
    const out = new Uint8Array(this.info.valueSize);
    check(this.#get(out, 0, true), 'queue-stack-empty', `the ${this.typeName} is empty`);
    return out;
  }
}
