import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_EXT`: freplace extensions; needs both CAP_NET_ADMIN and CAP_PERFMON. Helpers follow the target program (tracing row used here). */
export function extProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_EXT,
    capabilities: ['CAP_BPF', 'CAP_NET_ADMIN', 'CAP_PERFMON'],
    attachTypes: [0],
    helperFallback: '26:23',
  });
}
