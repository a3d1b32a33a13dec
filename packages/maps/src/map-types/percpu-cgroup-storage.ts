import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { cgroupStorageCheckBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { cgroupStorageMapAlloc } from '../shared/cgroup-storage.js';
import { CgroupStorageMap } from '../runtime/cgroup-storage.js';

/** `BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE` (alias `percpu_cgroup_storage_deprecated`): values bounded by PCPU_MIN_UNIT_SIZE too. */
export function percpuCgroupStorageMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE, name: 'percpu_cgroup_storage_deprecated', capability: 'none', innerMapAllowed: false,
    checkBtf: cgroupStorageCheckBtf,
    alloc: (req) => cgroupStorageMapAlloc(env, req),
    create: (spec) => new CgroupStorageMap(env, spec, true),
  });
}
