import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `sizeof(u64) * MAX_BPF_FUNC_ARGS`: a raw tracepoint's context. */
export const RAW_TP_CTX_SIZE = 96;

/** `BPF_PROG_TYPE_RAW_TRACEPOINT`: raw tracepoints. */
export function rawTracepointProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_RAW_TRACEPOINT,
    capabilities: ['CAP_BPF', 'CAP_PERFMON'],
    // `bpf_tracing_ctx_access`: the u64 arguments, at most MAX_BPF_FUNC_ARGS (12) of them.
    ctxSize: RAW_TP_CTX_SIZE,
  });
}
