import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { cgroupStorageCheckBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { cgroupStorageMapAlloc } from '../shared/cgroup-storage.js';
import { CgroupStorageMap } from '../runtime/cgroup-storage.js';

/** `BPF_MAP_TYPE_CGROUP_STORAGE` (cgroup_storage_map_ops; alias `cgroup_storage_deprecated`). */
export function cgroupStorageMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_CGROUP_STORAGE, name: 'cgroup_storage_deprecated', capability: 'none', innerMapAllowed: false,
    checkBtf: cgroupStorageCheckBtf,
    alloc: (req) => cgroupStorageMapAlloc(env, req),
    create: (spec) => new CgroupStorageMap(env, spec, false),
  });
}
