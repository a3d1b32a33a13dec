import type { VerifierMap } from '@bpfkit/kernel-api';
import { BPF_F_RDONLY_PROG, BpfMapType } from '@bpfkit/uapi';
import type { MapRecord } from './map-record.js';

/**
 * `bpf_map_is_rdonly()`: programs cannot write the map (`BPF_F_RDONLY_PROG`),
 * the syscall side cannot either (frozen), and no writable mmap is alive, so
 * its contents are fixed for the rest of its life.
 *
 * @example
 * mapIsRdonly(rec); // true for libbpf's .rodata after it froze the map
 */
export function mapIsRdonly(rec: MapRecord): boolean {
  return (rec.info.mapFlags & BPF_F_RDONLY_PROG) !== 0 && rec.frozen && rec.writeActive === 0;
}

/**
 * What the verifier learns of a map an instruction names: its attributes and,
 * for a read-only array (the only type with `map_direct_value_addr` whose
 * reads the verifier folds), a copy of element 0 to read constants from.
 *
 * @example
 * verifierMapOf(rec, 3); // { mapType: 2, ..., fd: 3, name: 'x.rodata', hasBtf: true, valueFields: [], frozenValue: Uint8Array [...] }
 */
export function verifierMapOf(rec: MapRecord, fd: number): VerifierMap {
  const frozenValue = rec.info.mapType === BpfMapType.BPF_MAP_TYPE_ARRAY && mapIsRdonly(rec)
    ? rec.live?.sysLookup(new Uint8Array(4), 0)
    : undefined;
  return {
    ...rec.info, fd, name: rec.name, hasBtf: rec.btf !== undefined, valueFields: rec.fields,
    ...(frozenValue === undefined ? {} : { frozenValue }),
    ...(rec.innerMapMeta === undefined ? {} : { innerMap: rec.innerMapMeta }),
    ...(rec.live?.bpfArena === undefined ? {} : { userVmStart: rec.live.bpfArena.userVmStart, userVmEnd: rec.live.bpfArena.userVmEnd }),
  };
}
