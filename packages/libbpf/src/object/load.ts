import type { Btf } from '@bpfkit/btf';
import type { ExternSpec } from '@bpfkit/elf';
import { encodeBtf } from '@bpfkit/btf';
import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import { BpfAttachType, BpfMapType } from '@bpfkit/uapi';
import { bpfBtfLoad } from '../commands/btf.js';
import { bpfMapCreate, bpfMapFreeze, bpfMapUpdateElem, type MapCreateOptions } from '../commands/map.js';
import { assembleProgram, indexFunctions, type AssembledProgram } from './assemble.js';
import { sanitizeObjectBtf } from './btf-sanitize.js';
import { applyCore } from './core-step.js';
import { kernelConfigValues } from './kernel-config.js';
import { ksymAddressesOf } from './kallsyms.js';
import { fillKconfig, resolveKsym, type KsymResolution } from './externs.js';
import type { BpfMap } from './map.js';
import type { BpfObject } from './object.js';
import { loadProgram } from './prog-load.js';
import { createStructOpsMap, initKernStructOps, isStructOpsMap, prepareStructOpsValues, requireStructOpsBtf } from './struct-ops.js';
import { findVmlinuxBtf } from './target-btf.js';
import { initArenaMap } from './arena.js';
import { downgradeBtf } from './btf-downgrade.js';
import { supportsUprobeMultiLink } from './usdt-features.js';
import { objectFeatures, sanitizeInternalMapFlags } from './probes.js';

/** What `load` did, for reports (`bpfkit object run`). @example obj.loadReport; // { ok: false, errnoName: 'EACCES', failedProgram: 'xdp_prog', … } */
export interface LoadReport {
  readonly ok: boolean;
  readonly errnoName: string | null;
  readonly failedProgram: string | null;
  /** True when the object's BTF was loaded (maps and programs carry it). */
  readonly btfLoaded: boolean;
  /** Why BTF load failed (libbpf goes on without BTF). */
  readonly btfError?: string;
  /** The failure's message. */
  readonly error?: string;
}

const NO_BTF_MAP_TYPES = new Set<number>([
  BpfMapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY, BpfMapType.BPF_MAP_TYPE_STACK_TRACE, BpfMapType.BPF_MAP_TYPE_CGROUP_ARRAY,
  BpfMapType.BPF_MAP_TYPE_ARRAY_OF_MAPS, BpfMapType.BPF_MAP_TYPE_HASH_OF_MAPS, BpfMapType.BPF_MAP_TYPE_DEVMAP,
  BpfMapType.BPF_MAP_TYPE_DEVMAP_HASH, BpfMapType.BPF_MAP_TYPE_CPUMAP, BpfMapType.BPF_MAP_TYPE_XSKMAP,
  BpfMapType.BPF_MAP_TYPE_SOCKMAP, BpfMapType.BPF_MAP_TYPE_SOCKHASH, BpfMapType.BPF_MAP_TYPE_QUEUE, BpfMapType.BPF_MAP_TYPE_STACK,
  BpfMapType.BPF_MAP_TYPE_ARENA,
]);

function errnoOf(e: unknown): string {
  return isBpfError(e) ? e.code : 'EINVAL';
}

/** Runs every step of a load; fills `obj.loadReport` and rethrows on failure (the caller closes fds). */
export function loadObject(obj: BpfObject): LoadReport {
  let failedProgram: string | null = null;
  let btfError: string | undefined;
  const report = (ok: boolean, e?: unknown): LoadReport => ({
    ok, errnoName: ok ? null : errnoOf(e), failedProgram, btfLoaded: obj.btfFd !== undefined,
    ...(btfError === undefined ? {} : { btfError }),
    ...(e instanceof Error ? { error: e.message } : {}),
  });
  try {
    const target = (): Btf => obj.targetBtf(() => findVmlinuxBtf(obj.host, obj.tokenFd));
    const ksyms = resolveExterns(obj, target);
    initKernStructOps(obj, target);
    const assembled = new Map<string, AssembledProgram>();
    const coreLogs = new Map<string, readonly string[]>();
    for (const p of obj.programs) {
      if (!p.autoload) continue;
      const a = assembleProgram(p.spec, indexFunctions([...obj.spec.programs, ...obj.spec.subprograms]));
      if (a.coreRelos.length > 0) {
        const local = obj.spec.btf;
        if (local === undefined) throw new BpfError('EINVAL', 'libbpf:core-no-btf', `prog '${p.name}': CO-RE relocations without .BTF`);
        coreLogs.set(p.name, applyCore(a.code, a.coreRelos, local, target(), p.name).log);
      }
      assembled.set(p.name, a);
    }
    btfError = loadBtf(obj);
    requireStructOpsBtf(obj, btfError);
    createMaps(obj);
    for (const p of obj.programs) {
      const a = assembled.get(p.name);
      if (a === undefined) continue;
      // libbpf_prepare_prog_load: usdt programs go on a uprobe_multi link where the kernel has them.
      if (/^usdt(\.s)?(\/|$)/.test(p.section) && supportsUprobeMultiLink(obj.host)) p.expectedAttachType = BpfAttachType.BPF_TRACE_UPROBE_MULTI;
      failedProgram = p.name;
      loadProgram(obj, p, a, ksyms, coreLogs.get(p.name) ?? [], target);
      failedProgram = null;
    }
    fillProgArrays(obj);
    prepareStructOpsValues(obj);
  } catch (e) {
    obj.loadReport = report(false, e);
    throw e;
  }
  obj.loadReport = report(true);
  return obj.loadReport;
}

function resolveExterns(obj: BpfObject, target: () => Btf): Map<string, KsymResolution> {
  const kconfig = obj.maps.find((m) => m.origin.kind === 'kconfig');
  if (obj.kconfigLayout !== undefined && kconfig?.initialValue !== undefined) {
    // Like libbpf, the configuration file is read only when a CONFIG_* extern needs it.
    const needConfig = obj.kconfigLayout.slots.some((s) => s.name.startsWith('CONFIG_'));
    const values = needConfig ? kernelConfigValues(obj.host, obj.options.kconfig) : obj.options.kconfig ?? {};
    kconfig.initialValue.set(fillKconfig(obj.kconfigLayout, values, obj.kernelVersion).bytes);
  }
  const out = new Map<string, KsymResolution>();
  const btf = obj.spec.btf;
  // A typeless ksym (`extern const void x __ksym`) is found in kallsyms, not in BTF.
  const isTypeless = (e: ExternSpec): boolean => e.kind === 'ksym' && btf !== undefined && (e.typeId === 0 || btf.resolve(e.typeId)?.type.kind === 'VOID');
  const typelessNames = obj.spec.externs.filter(isTypeless).map((e) => e.name);
  let addresses: Readonly<Record<string, bigint>> | undefined;
  for (const ext of obj.spec.externs) {
    if (ext.kind === 'kconfig') continue;
    if (ext.kind === 'unknown') {
      if (ext.weak) {
        out.set(ext.name, { kind: 'missing' });
        continue;
      }
      throw new BpfError('ESRCH', 'libbpf:extern-unresolved', `extern '${ext.name}': not in .kconfig or .ksyms, cannot be resolved`);
    }
    const local = obj.spec.btf;
    if (local === undefined) throw new BpfError('EINVAL', 'libbpf:extern-no-btf', `extern '${ext.name}' needs .BTF`);
    const typeless = isTypeless(ext);
    if (typeless) addresses ??= ksymAddressesOf(obj.host, obj.options.ksymAddresses, typelessNames);
    out.set(ext.name, resolveKsym(local, typeless ? undefined : target(), ext, addresses ?? {}));
  }
  return out;
}

/** libbpf `bpf_object__sanitize_and_load_btf`: a BTF that fails to load is dropped, not fatal. */
function loadBtf(obj: BpfObject): string | undefined {
  const btf = obj.spec.btf;
  if (btf === undefined) return undefined;
  if (!objectFeatures(obj).supports('BTF')) return `${objectFeatures(obj).errorOf('BTF') ?? 'EOPNOTSUPP'}: the BTF probe failed (FEAT_BTF), BTF not loaded`;
  try {
    const bytes = downgradeBtf(sanitizeObjectBtf(encodeBtf(btf), obj.elf, {
      offsets: new Map((obj.kconfigLayout?.slots ?? []).map((s) => [s.name, s.offset])),
      size: obj.kconfigLayout?.size ?? 0,
    }), objectFeatures(obj));
    obj.btfFd = bpfBtfLoad(obj.host, bytes, obj.tokenFd === undefined ? {} : { tokenFd: obj.tokenFd });
    return undefined;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return `${e.code}: ${e.message}`;
  }
}

/** The fields of a map definition that BPF_MAP_CREATE takes. */
type MapDef = Pick<BpfMap, 'type' | 'keySize' | 'valueSize' | 'maxEntries' | 'mapFlags' | 'mapExtra' | 'numaNode' | 'btfKeyTypeId' | 'btfValueTypeId'>;

function createOne(obj: BpfObject, map: MapDef, name: string, innerMapFd?: number): number {
  const useBtf = obj.btfFd !== undefined && !NO_BTF_MAP_TYPES.has(map.type) && (map.btfKeyTypeId !== 0 || map.btfValueTypeId !== 0);
  let maxEntries = map.maxEntries;
  if (map.type === BpfMapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY && maxEntries === 0) maxEntries = obj.possibleCpus;
  const base: MapCreateOptions = {
    mapType: map.type, keySize: map.keySize, valueSize: map.valueSize, maxEntries, mapFlags: map.mapFlags,
    ...(objectFeatures(obj).supports('PROG_NAME') ? { mapName: name } : {}),
    mapExtra: map.mapExtra, numaNode: map.numaNode,
    ...(innerMapFd === undefined ? {} : { innerMapFd }),
    ...(obj.tokenFd === undefined ? {} : { tokenFd: obj.tokenFd }),
  };
  if (!useBtf || obj.btfFd === undefined) return bpfMapCreate(obj.host, base);
  try {
    return bpfMapCreate(obj.host, { ...base, btfFd: obj.btfFd, btfKeyTypeId: map.btfKeyTypeId, btfValueTypeId: map.btfValueTypeId });
  } catch (e) {
    // libbpf: "Retrying without BTF."
    if (!isBpfError(e)) throw e;
    return bpfMapCreate(obj.host, base);
  }
}

/** libbpf `bpf_object__create_maps`: in order, inner templates for map-in-map, internal maps filled and `.rodata`/`.kconfig` frozen. */
function createMaps(obj: BpfObject): void {
  const zero = new Uint8Array(4);
  for (const map of obj.maps) {
    if (!map.autocreate || (map.internal && !objectFeatures(obj).supports('GLOBAL_DATA'))) continue;
    if (map.internal) map.mapFlags = sanitizeInternalMapFlags(map.mapFlags, objectFeatures(obj));
    const spec = map.origin.kind === 'user' ? map.origin.spec : undefined;
    let innerFd: number | undefined;
    if (spec?.inner !== undefined) {
      const inner = spec.inner;
      const template: MapDef = {
        type: inner.type, keySize: inner.keySize, valueSize: inner.valueSize, maxEntries: inner.maxEntries, mapFlags: inner.flags,
        mapExtra: inner.mapExtra, numaNode: inner.numaNode, btfKeyTypeId: inner.keyTypeId, btfValueTypeId: inner.valueTypeId,
      };
      innerFd = createOne(obj, template, `${map.name}.inner`);
    }
    try {
      map.fd = isStructOpsMap(map) ? createStructOpsMap(obj, map, objectFeatures(obj).supports('PROG_NAME') ? map.name : undefined) : createOne(obj, map, map.name, innerFd);
    } finally {
      if (innerFd !== undefined) obj.host.close(innerFd);
    }
    initArenaMap(obj, map);
    if (map.internal && map.initialValue !== undefined) {
      bpfMapUpdateElem(obj.host, map.fd, zero, map.initialValue, 0);
      if (map.origin.kind === 'kconfig' || (map.origin.kind === 'data' && map.origin.sectionKind === 'rodata')) {
        bpfMapFreeze(obj.host, map.fd);
        map.frozen = true;
      }
    }
    if (spec !== undefined && !spec.valuesAreProgs && spec.initialValues.length > 0) {
      for (const slot of spec.initialValues) {
        const target = obj.maps.find((m) => m.name === slot.target);
        if (target === undefined || target.fd < 0) {
          throw new BpfError('EINVAL', 'libbpf:map-slot', `map '${map.name}': slot [${String(slot.index)}] points to map '${slot.target}', which is not created`);
        }
        bpfMapUpdateElem(obj.host, map.fd, u32(slot.index), u32(target.fd), 0);
      }
    }
  }
}

/** libbpf `bpf_object_init_prog_arrays`: declarative `.values` of prog arrays, after programs load. */
function fillProgArrays(obj: BpfObject): void {
  for (const map of obj.maps) {
    if (map.origin.kind !== 'user' || !map.origin.spec.valuesAreProgs) continue;
    for (const slot of map.origin.spec.initialValues) {
      const prog = obj.programs.find((p) => p.name === slot.target);
      if (prog === undefined || prog.fd < 0) {
        throw new BpfError('EINVAL', 'libbpf:prog-array-slot', `map '${map.name}': slot [${String(slot.index)}] points to prog '${slot.target}', which is not loaded`);
      }
      bpfMapUpdateElem(obj.host, map.fd, u32(slot.index), u32(prog.fd), 0);
    }
  }
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}
