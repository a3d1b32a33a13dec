import {
  BpfError,
  isBpfError,
  type BpfMap,
  type MapCreateContext,
  type MapCreateRequest,
  type MapInfo,
  type MapRuntimeSpec,
  type MapTypeDescriptor,
  type MapValueField,
} from '@bpfkit/kernel-api';
import {
  BPF_F_NUMA_NODE,
  BPF_F_RDONLY,
  BPF_F_TOKEN_FD,
  BPF_F_WRONLY,
  BpfCmd,
  BpfMapType,
  Capability,
  attrView,
  mapTypeName,
} from '@bpfkit/uapi';
import { capDetail, capScope, checkAttrRefusal, lsmDetail, objNameCpy, refusal, traceGroup, type CmdResult } from '../bpf/check.js';
import type { BpfObject } from '../bpf/objects.js';
import { resolveToken, tokenCapable, unprivDetail } from '../bpf/token-fd.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { installObjectFd } from './fd-install.js';
import { btfGetByFd, mapCheckBtf } from './map-check-btf.js';
import { kernelBtfOf, type KernelBtf } from '../btf/object.js';
import { BTF_FIELD_NAMES, type BtfRecord } from '../btf/fields.js';
import { MapRecord } from '../bpf/map-record.js';
import { findStructOpsByValue, vmlinuxView } from '../bpf/struct-ops.js';
import { structOpsMapFree } from './map-struct-ops.js';
import type { KernelCore } from '../core.js';

/** `bpf_get_file_flag`: the fd's access mode (O_RDONLY 0, O_WRONLY 1, O_RDWR 2) from BPF_F_RDONLY/WRONLY. */
export function fileAccessMode(flags: number): number {
  return (flags & BPF_F_RDONLY) !== 0 ? 0 : (flags & BPF_F_WRONLY) !== 0 ? 1 : 2;
}

/**
 * `map->record` as the map types see it: field kind names, offsets and sizes, and each
 * kptr's pointee (`btf_parse_kptr`: the kernel's struct of that name, else the map's own type).
 */
function valueFieldsOf(rec: BtfRecord | undefined, btf: KernelBtf | undefined, vmlinux: KernelBtf | undefined): MapValueField[] {
  return (rec?.fields ?? []).map((f) => {
    const field = { kind: BTF_FIELD_NAMES[f.type] ?? 'unknown', offset: f.offset, size: f.size };
    if (f.graphRoot !== undefined && btf !== undefined) {
      const { valueTypeId, nodeName } = f.graphRoot;
      const node = btf.view.type(valueTypeId)?.members?.find((m) => m.name === nodeName);
      return { ...field, graphRoot: { btf: btf.view, valueTypeId, nodeOffset: Math.floor((node?.bitsOffset ?? 0) / 8) } };
    }
    if (f.kptrTypeId === undefined || btf === undefined) return field;
    const name = btf.view.type(f.kptrTypeId)?.name ?? '';
    const kernId = name === '' ? undefined : vmlinux?.view.findAll(name, 'STRUCT')[0];
    return {
      ...field,
      kptr: kernId !== undefined && vmlinux !== undefined ? { btf: vmlinux.view, btfId: kernId, kernel: true } : { btf: btf.view, btfId: f.kptrTypeId, kernel: false },
    };
  });
}

/**
 * The map type's live map, made once every check passed. Without an arena, or
 * for a type whose runtime is not written yet, the map exists without it and
 * its element commands fail with ENOTSUPP.
 */
function createLiveMap(core: KernelCore, ops: MapTypeDescriptor, spec: MapRuntimeSpec): BpfMap | undefined {
  if (core.deps.arena === undefined) return undefined;
  let live: BpfMap;
  try {
    live = ops.create(spec);
  } catch (e) {
    if (isBpfError(e) && e.reason === 'map:no-runtime') return undefined;
    throw e;
  }
  core.liveMaps.set(live.address, live);
  return live;
}

/** `bpf_get_file_flag`: RDONLY and WRONLY together are EINVAL. */
export function fileFlagCheck(flags: number): void {
  if ((flags & BPF_F_RDONLY) !== 0 && (flags & BPF_F_WRONLY) !== 0) {
    throw new BpfError('EINVAL', 'attr:rdonly-and-wronly', 'BPF_F_RDONLY and BPF_F_WRONLY together');
  }
}

function mapInfoOf(obj: BpfObject | undefined): MapInfo | undefined {
  return obj?.kind === 'map' ? (obj.impl as MapRecord).info : undefined;
}

/**
 * BPF_MAP_CREATE in the order of `map_create()` (kernel/bpf/syscall.c). Its own checks return their
 * refusal (see {@link refusal}); the checks of what it calls still throw.
 */
export function mapCreate(task: SyscallContext, bytes: Uint8Array): CmdResult {
  const core = task.core;
  const badTail = checkAttrRefusal(core, BpfCmd.BPF_MAP_CREATE, bytes);
  if (badTail !== undefined) return badTail;
  const attr = attrView('map_create', bytes);
  const tokenFlag = (attr.map_flags & BPF_F_TOKEN_FD) !== 0;
  const mapFlags = attr.map_flags & ~BPF_F_TOKEN_FD;
  const mapType = attr.map_type;
  const btfKey = attr.btf_key_type_id;
  const btfValue = attr.btf_value_type_id;
  const btfVmlinuxValue = attr.btf_vmlinux_value_type_id;
  const mapExtra = attr.map_extra;
  let refused: BpfError | undefined;
  if (btfVmlinuxValue !== 0) {
    refused = refusal(core, 'map_create:btf_vmlinux_value_type_id', mapType === BpfMapType.BPF_MAP_TYPE_STRUCT_OPS && btfKey === 0 && btfValue === 0,
      'EINVAL', 'map:btf-vmlinux-value', () => ({
        pass: `btf_vmlinux_value_type_id ${btfVmlinuxValue} on a struct_ops map with no key/value BTF ids`,
        fail: 'btf_vmlinux_value_type_id needs a struct_ops map without key/value BTF ids',
      }));
  } else {
    refused = refusal(core, 'map_create:btf-ids', !(btfKey !== 0 && btfValue === 0), 'EINVAL', 'map:btf-key-without-value', () => ({
      pass: btfKey === 0 ? 'btf_key_type_id is 0: no key BTF to pair' : `btf_key_type_id ${btfKey} comes with btf_value_type_id ${btfValue}`,
      fail: 'btf_key_type_id given without btf_value_type_id',
    }));
  }
  if (refused !== undefined) return refused;
  refused = refusal(core, 'map_create:map_extra',
    mapType === BpfMapType.BPF_MAP_TYPE_BLOOM_FILTER || mapType === BpfMapType.BPF_MAP_TYPE_ARENA || mapExtra === 0n,
    'EINVAL', 'map:map-extra', () => ({
      pass: mapExtra === 0n ? 'map_extra is 0' : `map_extra 0x${mapExtra.toString(16)} on a map type that takes it (bloom filter or arena)`,
      fail: 'map_extra is only for bloom filters and arenas',
    }));
  if (refused !== undefined) return refused;
  fileFlagCheck(mapFlags);
  const numaNode = (mapFlags & BPF_F_NUMA_NODE) !== 0 ? attr.numa_node : -1;
  refused = refusal(core, 'map_create:numa_node', numaNode === -1 || numaNode === 0, 'EINVAL', 'map:numa-node', () => ({
    pass: numaNode === -1 ? 'no BPF_F_NUMA_NODE: any NUMA node will do' : `NUMA node ${numaNode} is online`,
    fail: `NUMA node ${numaNode} is not online`,
  }));
  if (refused !== undefined) return refused;
  const desc = core.deps.maps.get(mapType);
  refused = refusal(core, 'map_create:map_type', desc !== undefined, 'EINVAL', 'map:unknown-type', () => ({
    pass: `map type ${mapType} is ${desc?.name ?? '?'}, a supported type`,
    fail: `map type ${mapType} is not supported`,
  }));
  if (refused !== undefined) return refused;
  if (desc === undefined) return new BpfError('EINVAL', 'map:unknown-type', `map type ${mapType}`);

  const innerFd = attr.inner_map_fd;
  const valueBtfObjFd = attr.value_type_btf_obj_fd;
  const req: MapCreateRequest = {
    mapType,
    keySize: attr.key_size,
    valueSize: attr.value_size,
    maxEntries: attr.max_entries,
    mapFlags,
    innerMap: () => {
      const e = task.fdTable.get(innerFd);
      if (e === undefined || e.file.opath) return { ok: false, errno: 'EBADF' };
      const info = mapInfoOf(e.file.payload.object);
      return info === undefined ? { ok: false, errno: 'EINVAL' } : { ok: true, value: info };
    },
    numaNode,
    mapName: '',
    mapIfindex: attr.map_ifindex,
    btfFd: attr.btf_fd,
    btfKeyTypeId: btfKey,
    btfValueTypeId: btfValue,
    btfVmlinuxValueTypeId: btfVmlinuxValue,
    mapExtra,
    valueTypeBtfObj: () => {
      const e = task.fdTable.get(valueBtfObjFd);
      if (e === undefined || e.file.opath) return { ok: false, errno: 'EBADF' };
      return e.file.payload.object?.kind === 'btf' ? { ok: true, value: { isModule: false } } : { ok: false, errno: 'EINVAL' };
    },
    structOpsValueSize: () => {
      const vm = vmlinuxView(core);
      return vm === undefined ? undefined : findStructOpsByValue(vm, btfVmlinuxValue)?.valueType.size;
    },
  };
  const ctx: MapCreateContext = {
    capable: (cap) => core.capable(task.cred, cap),
    bypassSpecV1: () => core.capable(task.cred, Capability.CAP_PERFMON),
  };
  traceGroup(core, () => `map_alloc_check(${desc.name})`, () => {
    desc.allocCheck(req, ctx);
  });
  const ops = req.mapIfindex !== 0 ? core.deps.maps.offload : desc;

  const token = resolveToken(task, tokenFlag, attr.map_token_fd, BpfCmd.BPF_MAP_CREATE, (t) =>
    core.deps.token.allowMapType(t, mapType, core.tracer),
  );
  try {
    if (core.unprivilegedBpfDisabled !== 0) {
      refused = refusal(core, 'map_create:unprivileged_bpf_disabled', tokenCapable(task, token, Capability.CAP_BPF), 'EPERM', 'map:unprivileged-disabled',
        () => unprivDetail(core.unprivilegedBpfDisabled, token), 'use a BPF token delegating this map type, with CAP_BPF in its user namespace');
      if (refused !== undefined) return refused;
    }
    if (desc.capability === 'CAP_BPF') {
      refused = refusal(core, 'map_create:type-cap', tokenCapable(task, token, Capability.CAP_BPF), 'EPERM', 'caps:missing-CAP_BPF',
        () => capDetail(`${desc.name} maps need CAP_BPF`, capScope(token)));
    } else if (desc.capability === 'CAP_NET_ADMIN') {
      refused = refusal(core, 'map_create:type-cap', tokenCapable(task, token, Capability.CAP_NET_ADMIN), 'EPERM', 'caps:missing-CAP_NET_ADMIN',
        () => capDetail(`${desc.name} maps need CAP_NET_ADMIN`, capScope(token)));
    }
    if (refused !== undefined) return refused;
    const alloc = traceGroup(core, () => `map_alloc(${desc.name})`, () => ops.alloc(req, ctx));
    const name = objNameCpy(attr.map_name);
    let btfObj: BpfObject | undefined;
    let rec: BtfRecord | undefined;
    let recBtf: KernelBtf | undefined;
    if (btfKey !== 0 || btfValue !== 0 || btfVmlinuxValue !== 0) {
      const found = btfGetByFd(task, attr.btf_fd, 'btf_fd');
      refused = refusal(core, 'map_create:btf-not-kernel', !found.btf.isKernel, 'EACCES', 'map:btf-is-kernel', () => ({
        pass: `btf_fd ${attr.btf_fd} is program BTF`,
        fail: `btf_fd ${attr.btf_fd} is the kernel's own BTF`,
      }));
      if (refused !== undefined) return refused;
      const vmlinux = kernelBtfOf(core.objects.byId('btf', 1));
      if (btfValue !== 0 && vmlinux !== undefined) {
        rec = core.tracer.group('map_check_btf', () => mapCheckBtf(task, token, found.btf, vmlinux, {
            desc, mapType, keySize: req.keySize, valueSize: req.valueSize, maxEntries: alloc.maxEntries, mapFlags: alloc.mapFlags,
            keyTypeId: btfKey, valueTypeId: btfValue,
          }));
      }
      btfObj = found.obj;
      recBtf = found.btf;
    }
    const info: MapInfo = {
      mapType,
      keySize: req.keySize,
      valueSize: req.valueSize,
      maxEntries: alloc.maxEntries,
      // bpf_map_flags_retain_permanent: RDONLY/WRONLY describe the fd, not the map.
      mapFlags: alloc.mapFlags & ~(BPF_F_RDONLY | BPF_F_WRONLY),
      isMapInMap: alloc.innerMapMeta !== undefined,
    };
    const lsmObj = { kind: 'map' as const, type: mapType, name };
    const denial = core.deps.security.bpfMapCreate(task.cred, lsmObj, token?.token, false);
    refused = refusal(core, 'security_bpf_map_create', denial === undefined, denial?.errno ?? 'EPERM', 'lsm:bpf-map-create',
      () => lsmDetail('security_bpf_map_create', denial, 'LSM bpf_map_create'));
    if (refused !== undefined) return refused;
    const valueFields = valueFieldsOf(rec, recBtf, kernelBtfOf(core.objects.byId('btf', 1)));
    const live = createLiveMap(core, ops, {
      info, mapExtra, valueFields, ...(alloc.innerMapMeta === undefined ? {} : { innerMapMeta: alloc.innerMapMeta }),
    });
    const btfIds = btfObj === undefined ? undefined : { btfId: btfObj.id, keyTypeId: btfKey, valueTypeId: btfValue };
    const record = new MapRecord(info, name, mapExtra, attr.map_ifindex, live, valueFields, btfIds, btfVmlinuxValue, alloc.innerMapMeta, alloc.memoryBytes);
    const timers = core.deps.timers;
    if (live !== undefined) {
      core.mapRecords.set(live, record);
      if (timers !== undefined && live.asyncFields !== undefined) record.releaseTimers = () => { timers.freeMap(live); };
    }
    const obj = core.objects.create('map', core.objects.nextId('map'), name || (mapTypeName(mapType) ?? ''), record, () => {
      core.deps.security.bpfMapFree(lsmObj);
      if (mapType === BpfMapType.BPF_MAP_TYPE_STRUCT_OPS) structOpsMapFree(record);
      if (live !== undefined) {
        core.liveMaps.delete(live.address);
        live.release();
      }
    }, btfObj === undefined ? [] : [btfObj.get()]);
    return installObjectFd(task, 'bpf-map', obj, fileAccessMode(mapFlags));
  } finally {
    token?.put();
  }
}
