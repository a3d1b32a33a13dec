import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_KPROBE`: kprobes and uprobes; a kprobe session must return 0 or 1. */
export function kprobeProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_KPROBE,
    capabilities: ['CAP_BPF', 'CAP_PERFMON'],
    ctxSize: 168,
    returnRange: (eat) => (eat === 56 ? { min: 0, max: 1 } : undefined),
  });
}
