import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_STRUCT_OPS`: struct_ops callbacks; helper availability depends on the struct_ops (base proto used here). */
export function structOpsProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_STRUCT_OPS,
    capabilities: ['CAP_BPF', 'CAP_PERFMON'],
  });
}
