import { BpfError, type MapCreateContext, type MapCreateRequest, type MapInfo } from '@bpfkit/kernel-api';
import {
  BPF_F_NUMA_NODE,
  BPF_F_RDONLY,
  BPF_F_TOKEN_FD,
  BPF_F_WRONLY,
  BpfCmd,
  BpfMapType,
  Capability,
  mapTypeName,
} from '@bpfkit/uapi';
import { capDetail, capScope, check, checkAttr, lsmDetail, objNameCpy, s32, u32, u64 } from '../bpf/check.js';
import type { BpfObject } from '../bpf/objects.js';
import { resolveToken, tokenCapable, unprivDetail } from '../bpf/token-fd.js';
import type { TaskImpl } from '../task/task.js';
import { installObjectFd } from './fd-install.js';

/** What the kernel keeps of a created map. */
export interface MapRecord {
  readonly info: MapInfo;
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

/** BPF_MAP_CREATE in the order of `map_create()` (kernel/bpf/syscall.c). */
export function mapCreate(task: TaskImpl, attr: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_MAP_CREATE, attr);
  const rawFlags = u32(attr, 16);
  const tokenFlag = (rawFlags & BPF_F_TOKEN_FD) !== 0;
  const mapFlags = rawFlags & ~BPF_F_TOKEN_FD;
  const mapType = u32(attr, 0);
  const btfKey = u32(attr, 52);
  const btfValue = u32(attr, 56);
  const btfVmlinuxValue = u32(attr, 60);
  const mapExtra = u64(attr, 64);
  if (btfVmlinuxValue !== 0) {
    check(core, 'map_create:btf_vmlinux_value_type_id', mapType === BpfMapType.BPF_MAP_TYPE_STRUCT_OPS && btfKey === 0 && btfValue === 0,
      'EINVAL', 'map:btf-vmlinux-value', {
        pass: `btf_vmlinux_value_type_id ${btfVmlinuxValue} on a struct_ops map with no key/value BTF ids`,
        fail: 'btf_vmlinux_value_type_id needs a struct_ops map without key/value BTF ids',
      });
  } else {
    check(core, 'map_create:btf-ids', !(btfKey !== 0 && btfValue === 0), 'EINVAL', 'map:btf-key-without-value', {
      pass: btfKey === 0 ? 'btf_key_type_id is 0: no key BTF to pair' : `btf_key_type_id ${btfKey} comes with btf_value_type_id ${btfValue}`,
      fail: 'btf_key_type_id given without btf_value_type_id',
    });
  }
  check(core, 'map_create:map_extra',
    mapType === BpfMapType.BPF_MAP_TYPE_BLOOM_FILTER || mapType === BpfMapType.BPF_MAP_TYPE_ARENA || mapExtra === 0n,
    'EINVAL', 'map:map-extra', {
      pass: mapExtra === 0n ? 'map_extra is 0' : `map_extra 0x${mapExtra.toString(16)} on a map type that takes it (bloom filter or arena)`,
      fail: 'map_extra is only for bloom filters and arenas',
    });
  fileFlagCheck(mapFlags);
  const numaNode = (mapFlags & BPF_F_NUMA_NODE) !== 0 ? u32(attr, 24) : -1;
  check(core, 'map_create:numa_node', numaNode === -1 || numaNode === 0, 'EINVAL', 'map:numa-node', {
    pass: numaNode === -1 ? 'no BPF_F_NUMA_NODE: any NUMA node will do' : `NUMA node ${numaNode} is online`,
    fail: `NUMA node ${numaNode} is not online`,
  });
  const desc = core.deps.maps.get(mapType);
  check(core, 'map_create:map_type', desc !== undefined, 'EINVAL', 'map:unknown-type', {
    pass: `map type ${mapType} is ${desc?.name ?? '?'}, a supported type`,
    fail: `map type ${mapType} is not supported`,
  });
  if (desc === undefined) throw new BpfError('EINVAL', 'map:unknown-type', `map type ${mapType}`);

  const innerFd = u32(attr, 20);
  const valueBtfObjFd = s32(attr, 72);
  const req: MapCreateRequest = {
    mapType,
    keySize: u32(attr, 4),
    valueSize: u32(attr, 8),
    maxEntries: u32(attr, 12),
    mapFlags,
    innerMap: () => {
      const e = task.fdTable.get(innerFd);
      if (e === undefined || e.file.opath) return { ok: false, errno: 'EBADF' };
      const info = mapInfoOf(e.file.payload.object);
      return info === undefined ? { ok: false, errno: 'EINVAL' } : { ok: true, value: info };
    },
    numaNode,
    mapName: '',
    mapIfindex: u32(attr, 44),
    btfFd: u32(attr, 48),
    btfKeyTypeId: btfKey,
    btfValueTypeId: btfValue,
    btfVmlinuxValueTypeId: btfVmlinuxValue,
    mapExtra,
    valueTypeBtfObj: () => {
      const e = task.fdTable.get(valueBtfObjFd);
      if (e === undefined || e.file.opath) return { ok: false, errno: 'EBADF' };
      return e.file.payload.object?.kind === 'btf' ? { ok: true, value: { isModule: false } } : { ok: false, errno: 'EINVAL' };
    },
    structOpsValueSize: () => undefined,
  };
  const ctx: MapCreateContext = {
    capable: (cap) => core.capable(task.cred, cap),
    bypassSpecV1: () => core.capable(task.cred, Capability.CAP_PERFMON),
  };
  core.tracer.group(`map_alloc_check(${desc.name})`, () => {
    desc.allocCheck(req, ctx);
  });
  const ops = req.mapIfindex !== 0 ? core.deps.maps.offload : desc;

  const token = resolveToken(task, tokenFlag, s32(attr, 76), BpfCmd.BPF_MAP_CREATE, (t) =>
    core.deps.token.allowMapType(t, mapType, core.tracer),
  );
  try {
    if (core.unprivilegedBpfDisabled !== 0) {
      check(core, 'map_create:unprivileged_bpf_disabled', tokenCapable(task, token, Capability.CAP_BPF), 'EPERM', 'map:unprivileged-disabled',
        unprivDetail(core.unprivilegedBpfDisabled, token), 'use a BPF token delegating this map type, with CAP_BPF in its user namespace');
    }
    if (desc.capability === 'CAP_BPF') {
      check(core, 'map_create:type-cap', tokenCapable(task, token, Capability.CAP_BPF), 'EPERM', 'caps:missing-CAP_BPF',
        capDetail(`${desc.name} maps need CAP_BPF`, capScope(token)));
    } else if (desc.capability === 'CAP_NET_ADMIN') {
      check(core, 'map_create:type-cap', tokenCapable(task, token, Capability.CAP_NET_ADMIN), 'EPERM', 'caps:missing-CAP_NET_ADMIN',
        capDetail(`${desc.name} maps need CAP_NET_ADMIN`, capScope(token)));
    }
    const alloc = core.tracer.group(`map_alloc(${desc.name})`, () => ops.alloc(req, ctx));
    const name = objNameCpy(attr.subarray(28, 44));
    const info: MapInfo = {
      mapType,
      keySize: req.keySize,
      valueSize: req.valueSize,
      maxEntries: alloc.maxEntries,
      mapFlags: alloc.mapFlags,
      isMapInMap: alloc.innerMapMeta !== undefined,
    };
    const lsmObj = { kind: 'map' as const, type: mapType, name };
    const denial = core.deps.security.bpfMapCreate(task.cred, lsmObj, token?.token, false);
    check(core, 'security_bpf_map_create', denial === undefined, denial?.errno ?? 'EPERM', 'lsm:bpf-map-create',
      lsmDetail('security_bpf_map_create', denial, 'LSM bpf_map_create'));
    const record: MapRecord = { info };
    const obj = core.objects.create('map', core.objects.nextId('map'), name || (mapTypeName(mapType) ?? ''), record, () => {
      core.deps.security.bpfMapFree(lsmObj);
    });
    return installObjectFd(task, 'bpf-map', obj);
  } finally {
    token?.put();
  }
}
