/** A case whose setup cannot be done (an unknown fixup kind, a BTF name missing from vmlinux…). */
export class SetupError extends Error {
  override readonly name = 'SetupError';
}

/** Extra records of a `BPF_PROG_LOAD` (func_info or line_info). */
export interface InfoRecords {
  readonly bytes: Uint8Array;
  readonly recSize: number;
  readonly count: number;
}

/** What a case's setup prepared for its `BPF_PROG_LOAD`. */
export interface LoadPlan {
  readonly insns: Uint8Array;
  progBtfFd: number;
  funcInfo: InfoRecords | undefined;
  lineInfo: InfoRecords | undefined;
  attachBtfId: number;
  /** A classic attach target still to resolve with libbpf's name rules (needs the attach type). */
  attachBtfIdName?: string;
}
