import type { MapRuntimeSpec, MapSyscallContext, PerfEventArrayOps, PerfEventOutput } from '@bpfkit/kernel-api';
import { u32At } from './map-base.js';
import type { MapEnv } from '../deps.js';
import { FdArrayMap } from './fd-array.js';

/**
 * `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: an fd array whose slots hold perf events
 * (what the kernel resolved from the `perf_event_open()` fds user space
 * wrote). {@link output} is `__bpf_perf_event_output`: the slot, the event's
 * kind and CPU, then the write into the event's ring. A slot belongs to the
 * map file it was filled through: releasing that file empties it.
 *
 * @example
 * const events = maps.get(BpfMapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY)!.create(spec);
 * events.sysUpdate(u32(0), u32(perfFd), BPF_ANY, { fds }); // what libbpf's perf buffer does per CPU
 * events.perfEvents!.output(0, 0, dataAddr, 16);            // from a program on CPU 0
 */
export class PerfEventArrayMap extends FdArrayMap implements PerfEventArrayOps {
  readonly perfEvents: PerfEventArrayOps = this;

  /** The map file each slot was filled through (`bpf_event_entry.map_file`). */
  readonly #files: (object | undefined)[];

  constructor(env: MapEnv, spec: MapRuntimeSpec) {
    super(env, spec, { name: 'perf_event_array', sysLookupGivesId: false, mapInMap: false });
    this.#files = new Array<object | undefined>(spec.info.maxEntries).fill(undefined);
  }

  override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, ctx: MapSyscallContext): void {
    super.sysUpdate(key, value, flags, ctx);
    this.#files[u32At(key, 0)] = ctx.file;
  }

  /** `perf_event_fd_array_release`: the slots filled through `file` are emptied when it is released. */
  mapRelease(file: object): void {
    for (let i = 0; i < this.#files.length; i++) {
      if (this.#files[i] !== file || this.objects[i] === undefined) continue;
      this.#files[i] = undefined;
      this.setSlot(i, undefined);
    }
  }

  output(cpu: number, index: number, dataAddr: number, size: number): number {
    if (index >= this.info.maxEntries) return -7; // E2BIG
    const event = this.objects[index]?.target as PerfEventOutput | undefined;
    if (event === undefined) return -2; // ENOENT
    if (!event.bpfOutput) return -22; // EINVAL: not a PERF_COUNT_SW_BPF_OUTPUT event
    if (event.oncpu !== cpu) return -95; // EOPNOTSUPP: the event is on another CPU
    return event.outputRaw(this.bytes.subarray(dataAddr, dataAddr + size));
  }
}
