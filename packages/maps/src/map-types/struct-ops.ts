import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BPF_F_LINK, BPF_F_VTYPE_BTF_OBJ_FD, BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import type { MapEnv } from '../deps.js';
import { allocated, reject, unknownFlags } from '../checks.js';
import { StructOpsMap } from '../runtime/struct-ops.js';

/** `BPF_MAP_TYPE_STRUCT_OPS` (bpf_struct_ops_map_ops): one entry whose value type is a kernel `bpf_struct_ops_<name>`. */
export function structOpsMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_STRUCT_OPS, name: 'struct_ops', capability: 'CAP_BPF', innerMapAllowed: false,
    allocCheck: (req) => {
      if (req.keySize !== 4 || req.maxEntries !== 1 || unknownFlags(req.mapFlags, BPF_F_LINK | BPF_F_VTYPE_BTF_OBJ_FD) !== 0 ||
          req.btfVmlinuxValueTypeId === 0) {
        reject('EINVAL', 'struct-ops-attrs', 'need key_size 4, max_entries 1, only BPF_F_LINK/BPF_F_VTYPE_BTF_OBJ_FD and btf_vmlinux_value_type_id');
      }
    },
    alloc: (req) => {
      if ((req.mapFlags & BPF_F_VTYPE_BTF_OBJ_FD) !== 0) {
        const btf = req.valueTypeBtfObj?.() ?? { ok: false, errno: 'EBADF' as const };
        if (!btf.ok) reject(btf.errno, 'struct-ops-btf-obj-fd', 'value_type_btf_obj_fd is not a BTF object');
        if (!btf.value.isModule) reject('EINVAL', 'struct-ops-btf-not-module', 'value_type_btf_obj_fd must be a module BTF');
      }
      const size = req.structOpsValueSize?.();
      if (size === undefined) reject('ENOTSUPP', 'struct-ops-unknown-value-type', 'btf_vmlinux_value_type_id is no struct_ops value type');
      if (req.valueSize !== size) reject('EINVAL', 'struct-ops-value-size', `value_size must be ${String(size)}`);
      return allocated(req, 2 * size + env.pageSize);
    },
    create: (spec) => new StructOpsMap(env, spec),
  });
}
