import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_SYSCALL`: programs run by BPF_PROG_RUN that may call bpf(); must be sleepable. */
export function syscallProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_SYSCALL,
    capabilities: ['CAP_BPF'],
    attachTypes: [0],
  });
}
