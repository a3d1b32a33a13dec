import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_LSM`: BPF LSM hooks; helpers approximated by the tracing row (not loadable on the reference machine). */
export function lsmProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_LSM,
    capabilities: ['CAP_BPF', 'CAP_PERFMON'],
    helperFallback: '26:23',
  });
}
