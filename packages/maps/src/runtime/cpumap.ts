import type { MapRuntimeSpec, MapSlotObject, MapSyscallContext } from '@bpfkit/kernel-api';
import { BPF_EXIST, BPF_NOEXIST } from '@bpfkit/uapi';
import type { MapEnv } from '../deps.js';
import { NEG_EINVAL } from './errno.js';
import { fail, putU32, u32At } from './map-base.js';
import { SlotArrayMap } from './slot-array.js';

/** `cpu_map_update_elem`'s sanity limit on `qsize`. */
const QSIZE_MAX = 16384;

/**
 * `BPF_MAP_TYPE_CPUMAP` (cpumap.c): `struct bpf_cpumap_val {qsize, prog}` per
 * CPU. qsize 0 empties the entry; a CPU that is not possible is ENODEV; a
 * program fd that does not resolve makes the entry allocation fail (ENOMEM,
 * as the kernel reports it).
 *
 * @example
 * const cpus = maps.get(BpfMapType.BPF_MAP_TYPE_CPUMAP)!.create(spec);
 * cpus.sysUpdate(u32(1), qsize64, BPF_ANY, {}); // ENODEV when CPU 1 is not possible
 */
export class CpuMap extends SlotArrayMap {
  readonly #possibleCpus: number;

  constructor(env: MapEnv, spec: MapRuntimeSpec) {
    super(env, spec);
    this.#possibleCpus = env.possibleCpus;
  }

  protected override get typeName(): string {
    return 'cpumap';
  }

  sysLookup(key: Uint8Array): Uint8Array {
    return this.presentValue(this.index(key));
  }

  sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, ctx: MapSyscallContext): void {
    const cpu = this.index(key);
    this.checkSize(value, this.info.valueSize, 'value');
    const qsize = u32At(value, 0);
    if (flags > BPF_EXIST) fail('EINVAL', 'cpumap-update-flags', 'unknown update flags');
    if (cpu >= this.info.maxEntries) fail('E2BIG', 'cpumap-index', `cpu ${cpu} is not below max_entries`);
    if (flags === BPF_NOEXIST) fail('EEXIST', 'cpumap-noexist', 'cpumap entries always exist');
    if (qsize > QSIZE_MAX) fail('EOVERFLOW', 'cpumap-qsize', `qsize above ${QSIZE_MAX}`);
    if (cpu >= this.#possibleCpus) fail('ENODEV', 'cpumap-cpu-not-possible', `cpu ${cpu} is not a possible CPU`);
    if (qsize === 0) {
      this.fill(cpu, undefined, undefined);
      return;
    }
    const progFd = this.info.valueSize >= 8 ? u32At(value, 4) | 0 : 0;
    let prog: MapSlotObject | undefined;
    if (progFd > 0) {
      try {
        if (ctx.fds === undefined) throw new Error('no fd table');
        prog = ctx.fds.resolve(progFd);
      } catch {
        fail('ENOMEM', 'cpumap-entry-alloc', `fd ${progFd} is no cpumap program: the entry allocation fails`);
      }
    }
    const stored = new Uint8Array(8);
    putU32(stored, 0, qsize);
    putU32(stored, 4, prog?.id ?? 0);
    this.fill(cpu, stored, prog);
  }

  sysDelete(key: Uint8Array): void {
    const cpu = this.index(key);
    if (cpu >= this.info.maxEntries) fail('EINVAL', 'cpumap-index', `cpu ${cpu} is not below max_entries`);
    this.fill(cpu, undefined, undefined);
  }

  override deleteElem(keyAddr: number): number {
    const cpu = u32At(this.bytes, keyAddr);
    if (cpu >= this.info.maxEntries) return NEG_EINVAL;
    this.fill(cpu, undefined, undefined);
    return 0;
  }
}
