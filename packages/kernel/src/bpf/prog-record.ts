import type { RunnableProgram } from '@bpfkit/kernel-api';
import type { BpfObject } from './objects.js';

/** What the kernel keeps of a loaded program (`struct bpf_prog` and its `aux`). */
export interface ProgRecord {
  readonly progType: number;
  readonly expectedAttachType: number;
  /** The instructions as loaded (what `xlated_prog_insns` dumps, before the verifier's rewrites). */
  readonly insns: Uint8Array;
  readonly gplCompatible: boolean;
  /** `prog->aux->load_time`: the clock when the load succeeded. */
  readonly loadTimeNs: bigint;
  /** `prog->aux->user`: the loader's uid in the initial user namespace. */
  readonly createdByUid: number;
  /**
   * `prog->aux->used_maps`, in the order the program first names them, then
   * the ones BPF_PROG_BIND_MAP added; the program holds a reference on each.
   */
  readonly usedMaps: BpfObject[];
  /** `prog->aux->verified_insns`. */
  readonly verifiedInsns: number;
  /** `prog->aux->btf`: the program BTF's object id. */
  readonly btfId: number | undefined;
  readonly attachBtfId: number;
  /** The object id of the BTF `attach_btf_id` points into (vmlinux: 1), when there is one. */
  readonly attachBtfObjId: number | undefined;
  /** `prog->aux->func_info`: `struct bpf_func_info` records (8 bytes each). */
  readonly funcInfo: Uint8Array;
  /** `prog->aux->linfo`: `struct bpf_line_info` records (16 bytes each). */
  readonly lineInfo: Uint8Array;
  /** `prog->stats`: runs and nanoseconds counted while BPF_ENABLE_STATS is on. */
  readonly stats: { cnt: number; nsecs: bigint };
  /** The engine's program, when the kernel has an engine. */
  readonly runnable: RunnableProgram | undefined;
}

/** The program record of a BPF object, when it is a program. */
export function progRecordOf(obj: BpfObject | undefined): ProgRecord | undefined {
  return obj?.kind === 'prog' ? (obj.impl as ProgRecord) : undefined;
}
