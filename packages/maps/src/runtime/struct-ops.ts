import { BPF_F_LINK } from '@bpfkit/uapi';
import { fail, MapBase, u32At } from './map-base.js';

/** `enum bpf_struct_ops_state`, by the value its header holds. */
const STATE = { init: 0, inuse: 1, tobefree: 2, ready: 3 } as const;
type StructOpsState = keyof typeof STATE;

/**
 * `BPF_MAP_TYPE_STRUCT_OPS` (bpf_struct_ops.c) as far as its element commands
 * go: one value at key 0. A lookup before any update reads zeros, after it the
 * value with its header: `refcnt` 1 while registered (in use), and `state`. The
 * first update registers it (ready with BPF_F_LINK, else in use) and any later
 * one is EBUSY; delete unregisters a map in use, which then stays to be freed
 * (a second delete is EINPROGRESS). Programs cannot look it up (EINVAL).
 * The kernel checks the value against the struct's BTF and puts program ids
 * in its callback slots before the update: that needs the struct_ops
 * registry, which the kernel side owns.
 *
 * @example
 * const ops = maps.get(BpfMapType.BPF_MAP_TYPE_STRUCT_OPS)!.create(spec);
 * ops.sysLookup(u32(0), 0); // zeros until the first update
 */
export class StructOpsMap extends MapBase {
  #state: StructOpsState = 'init';
  #value: Uint8Array | undefined;

  protected override get typeName(): string {
    return 'struct_ops';
  }


  sysLookup(key: Uint8Array): Uint8Array {
    if (u32At(this.checkSize(key, 4, 'key'), 0) !== 0) fail('ENOENT', 'struct-ops-key', 'struct_ops maps have only key 0');
    const out = this.#value?.slice() ?? new Uint8Array(this.info.valueSize);
    if (this.#state === 'init' || out.length < 8) return new Uint8Array(this.info.valueSize);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, this.#state === 'inuse' ? 1 : 0, true);
    dv.setUint32(4, STATE[this.#state], true);
    return out;
  }
  sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): void {
    if (flags !== 0) fail('EINVAL', 'struct-ops-update-flags', 'struct_ops updates take no flags');
    if (u32At(this.checkSize(key, 4, 'key'), 0) !== 0) fail('E2BIG', 'struct-ops-key', 'struct_ops maps have only key 0');
    if (this.#state !== 'init') fail('EBUSY', 'struct-ops-registered', 'the struct_ops map is already registered');
    this.#value = this.checkSize(value, this.info.valueSize, 'value').slice(0, this.info.valueSize);
    this.#state = (this.info.mapFlags & BPF_F_LINK) !== 0 ? 'ready' : 'inuse';
  }
  sysDelete(key: Uint8Array): void {
    this.checkSize(key, 4, 'key');
    if ((this.info.mapFlags & BPF_F_LINK) !== 0) fail('EOPNOTSUPP', 'struct-ops-link-delete', 'a BPF_F_LINK struct_ops map is detached through its link');
    if (this.#state === 'tobefree') fail('EINPROGRESS', 'struct-ops-being-freed', 'the struct_ops map was unregistered already');
    if (this.#state !== 'inuse') fail('ENOENT', 'struct-ops-not-registered', 'the struct_ops map is not registered');
    this.#state = 'tobefree';
  }
  sysGetNextKey(key: Uint8Array | undefined): Uint8Array {
    if (key !== undefined && u32At(key, 0) === 0) fail('ENOENT', 'struct-ops-last-key', 'key 0 is the only key');
    return new Uint8Array(4);
  }
}
