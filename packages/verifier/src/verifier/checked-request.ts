import type { BtfView, VerifierRequest } from '@bpfkit/kernel-api';
import type { LineInfoLog } from './line-info.js';

/**
 * One func_info record the verifier accepted (`prog->aux->func_info` with its
 * `func_info_aux`): where a subprogram starts, its FUNC in the program's BTF and
 * that FUNC's linkage (0 static, 1 global, 2 extern).
 */
export interface FuncInfo {
  readonly insnOff: number;
  readonly typeId: number;
  readonly linkage: number;
}

/**
 * The function a BTF-attached program stands for, as `check_attach_btf_id` found it
 * (`prog->aux->attach_func_proto`, `attach_func_name`).
 */
export interface AttachFunc {
  readonly btf: BtfView;
  /** The FUNC_PROTO's type id in `btf`. */
  readonly protoId: number;
  readonly name: string;
  /**
   * `attach_btf_trace`: a raw tracepoint's `btf_trace_` typedef, whose prototype's first
   * argument (`void *__data`) is not in the program's context.
   */
  readonly btfTrace?: boolean;
}

/**
 * The request with what `bpf_check`'s first passes took from it: the program's BTF and
 * func_info (`check_btf_info_early`), and the attach target's function (`check_attach_btf_id`).
 */
export interface CheckedRequest extends VerifierRequest {
  /** `prog->aux->btf`. */
  readonly btf?: BtfView;
  readonly funcInfo?: readonly FuncInfo[];
  /** `prog->aux->linfo`, for the source lines of the log (`verbose_linfo`). */
  readonly lineInfo?: LineInfoLog;
  readonly attachFunc?: AttachFunc;
}
