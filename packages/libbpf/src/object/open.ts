import type { DataSectionSpec, ObjectSpec } from '@bpfkit/elf';
import { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, BpfMapType } from '@bpfkit/uapi';
import type { KconfigLayoutResult } from './externs.js';
import { BpfMap, type MapContext } from './map.js';
import { internalMapName } from './names.js';

function datasecId(spec: ObjectSpec, name: string): number {
  const id = spec.btf?.byName(name, 'DATASEC');
  return id ?? 0;
}

/** libbpf's `map_is_mmapable`: the section's DATASEC has a variable that is not static. */
function mmapable(sec: DataSectionSpec, btfValueTypeId: number): boolean {
  return btfValueTypeId !== 0 && sec.variables.some((v) => v.typeId !== 0 && v.global);
}

/**
 * The maps of an object in libbpf's order: `.maps` definitions (by offset), then one
 * internal map per global data section in ELF order; the `.kconfig` map is added at load.
 *
 * @example
 * mapsOfSpec(spec, 'xdp_filter', ctx).map((m) => m.name); // ['counts', 'xdp_filt.rodata']
 */
export function mapsOfSpec(spec: ObjectSpec, objName: string, ctx: MapContext): BpfMap[] {
  const out: BpfMap[] = [];
  for (const m of spec.maps) {
    out.push(new BpfMap({
      name: m.name, realName: m.name, origin: { kind: 'user', spec: m }, type: m.type, keySize: m.keySize, valueSize: m.valueSize,
      maxEntries: m.maxEntries, mapFlags: m.flags, mapExtra: m.mapExtra, numaNode: m.numaNode, btfKeyTypeId: m.keyTypeId, btfValueTypeId: m.valueTypeId,
    }, ctx));
  }
  for (const sec of spec.dataSections) {
    const valueType = datasecId(spec, sec.name);
    const flags = (sec.kind === 'rodata' ? BPF_F_RDONLY_PROG : 0) | (mmapable(sec, valueType) ? BPF_F_MMAPABLE : 0);
    out.push(new BpfMap({
      name: internalMapName(objName, sec.name), realName: sec.name, origin: { kind: 'data', section: sec.name, sectionKind: sec.kind },
      type: BpfMapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: sec.size, maxEntries: 1, mapFlags: flags, mapExtra: 0, numaNode: 0,
      btfKeyTypeId: 0, btfValueTypeId: valueType, initialValue: sec.bytes.slice(),
    }, ctx));
  }
  return out;
}

/** The `.kconfig` internal map (read-only to programs, mmapable, frozen after filling). @example kconfigMap(spec, 'obj', layout, ctx).name; // 'obj.kconfig' */
export function kconfigMap(spec: ObjectSpec, objName: string, layout: KconfigLayoutResult, ctx: MapContext): BpfMap {
  return new BpfMap({
    name: internalMapName(objName, '.kconfig'), realName: '.kconfig', origin: { kind: 'kconfig' }, type: BpfMapType.BPF_MAP_TYPE_ARRAY,
    keySize: 4, valueSize: layout.size, maxEntries: 1, mapFlags: BPF_F_RDONLY_PROG | BPF_F_MMAPABLE, mapExtra: 0, numaNode: 0,
    btfKeyTypeId: 0, btfValueTypeId: datasecId(spec, '.kconfig'), initialValue: new Uint8Array(layout.size),
  }, ctx);
}
