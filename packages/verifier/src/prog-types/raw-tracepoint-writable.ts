import type { CtxAccessResult, ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { allowIf, readInsideCtx } from './ctx-access.js';
import { defineProgType } from './define.js';
import { RAW_TP_CTX_SIZE } from './raw-tracepoint.js';

const rawTpAccess = readInsideCtx(RAW_TP_CTX_SIZE);

/** `raw_tp_writable_prog_is_valid_access`: the first argument is the tracepoint's writable buffer. */
function rawTpWritableIsValidAccess(off: number, size: number, write: boolean): CtxAccessResult {
  if (off === 0) return allowIf(size === 8 && !write, 'tp_buffer');
  return rawTpAccess(off, size, write);
}

/** `BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE`: writable raw tracepoints. */
export function rawTracepointWritableProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE,
    capabilities: ['CAP_BPF', 'CAP_PERFMON'],
    isValidAccess: rawTpWritableIsValidAccess,
  });
}
