import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_SOCKET_FILTER`: Classic socket filters; loadable without CAP_BPF. */
export function socketFilterProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER,
    capabilities: [],
  });
}
