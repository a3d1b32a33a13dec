import type { TraceTarget } from '../perf/event.js';
import type { BpfObject } from './objects.js';

/** What a link is attached to, per link type (the part `fill_link_info` and fdinfo print). */
export type LinkTarget =
  /** `bpf_raw_tp_link`: a raw tracepoint by name (raw_tp programs, and tp_btf ones through their BTF typedef). */
  | { readonly kind: 'raw_tracepoint'; readonly tpName: string; readonly cookie: bigint }
  /** `bpf_tracing_link`: a BPF trampoline, keyed by the BTF object and the function's type id in it. */
  | { readonly kind: 'tracing'; readonly targetObjId: number; readonly targetBtfId: number; readonly cookie: bigint }
  /** `bpf_perf_link`: a perf event by its attr type and config, and for a tracing event what it traces. */
  | { readonly kind: 'perf_event'; readonly eventType: number; readonly config: bigint; readonly cookie: bigint; readonly trace?: TraceTarget }
  /** `bpf_iter_link`: an iterator target by name, and for `task` which tasks (`bpf_iter_aux_info.task`). */
  | { readonly kind: 'iter'; readonly target: string; readonly task?: IterTaskFilter };

/** Which tasks a task iterator visits (`enum bpf_iter_task_type` and its pid). */
export interface IterTaskFilter {
  readonly type: 'ALL' | 'TID' | 'PID';
  readonly pid: number;
}

/** What the kernel keeps of a link (`struct bpf_link` and its type's container). */
export interface LinkRecord {
  /** `enum bpf_link_type`. */
  readonly type: number;
  /** `link->attach_type`: what BPF_LINK_CREATE named, or the program's expected attach type for RAW_TRACEPOINT_OPEN. */
  readonly attachType: number;
  /** `link->prog`: the link holds a reference (BPF_LINK_UPDATE swaps it for links that can). */
  prog: BpfObject;
  readonly target: LinkTarget;
}

/** The link record of a BPF object, when it is a link. */
export function linkRecordOf(obj: BpfObject | undefined): LinkRecord | undefined {
  return obj?.kind === 'link' ? (obj.impl as LinkRecord) : undefined;
}
