import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';
import { tcClsActIsValidAccess } from './sk-buff.js';

/** `BPF_PROG_TYPE_SCHED_ACT`: tc actions. */
export function schedActProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_SCHED_ACT,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN'],
    isValidAccess: tcClsActIsValidAccess,
  });
}
