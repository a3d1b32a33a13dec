import { encodeProgram } from '@bpfkit/asm';
import type { MapSpec } from './btfMaps.js';
import type { FunctionSpec, ObjectSpec } from './objectSpec.js';

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function fn(f: FunctionSpec): Record<string, unknown> {
  return {
    name: f.name,
    section: f.section,
    sectionInsn: f.sectionInsn,
    global: f.global,
    slots: f.slots,
    code: hex(encodeProgram(f.insns)),
    relocations: f.relocations,
    funcInfo: f.funcInfo,
    lineInfo: f.lineInfo.map((l) => `${String(l.insnOff)} ${l.fileName.replace(/^.*\//, '')}:${String(l.lineNum)}:${String(l.column)} ${l.line.trim()}`),
    coreRelos: f.coreRelos,
  };
}

function map(m: MapSpec): Record<string, unknown> {
  const { structOps, ...rest } = m;
  return {
    ...rest,
    inner: m.inner === undefined ? null : map(m.inner),
    ...(structOps === undefined ? {} : { structOps: { ...structOps, bytes: hex(structOps.bytes) } }),
  };
}

/**
 * A plain-JSON view of a spec for snapshots and `--json` output: code and
 * initial data as hex, BTF summarised by its type count, file names without
 * their directories (clang records absolute paths).
 *
 * @example
 * JSON.stringify(specToJson(loadObjectSpec(bytes)), null, 2);
 */
export function specToJson(spec: ObjectSpec): Record<string, unknown> {
  return {
    license: spec.license,
    kernelVersion: spec.kernelVersion,
    programs: spec.programs.map((p) => ({
      ...fn(p),
      sectionName: p.sectionName,
      secDef: p.secDef ?? null,
      progType: p.progTypeName,
      expectedAttachType: p.expectedAttachTypeName ?? null,
      attachTo: p.attachTo,
      sleepable: p.sleepable,
      xdpFrags: p.xdpFrags,
      autoload: p.autoload,
      subprograms: p.subprograms,
    })),
    subprograms: spec.subprograms.map(fn),
    maps: spec.maps.map(map),
    dataSections: spec.dataSections.map((d) => ({ name: d.name, kind: d.kind, size: d.size, bytes: hex(d.bytes), variables: d.variables })),
    externs: spec.externs,
    btfTypes: spec.btf === undefined ? 0 : spec.btf.types.length,
    ...(spec.arena === undefined ? {} : { arena: { ...spec.arena, bytes: hex(spec.arena.bytes) } }),
  };
}
