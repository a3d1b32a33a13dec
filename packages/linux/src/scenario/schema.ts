/** A token-oracle/v1 RESULT as this replayer reports it for one step. */
export interface LinuxStepResult {
  readonly ok: boolean;
  /** The errno name (`EPERM`, `EOPNOTSUPP`), null on success; `REPLAY` when the step itself is malformed. */
  readonly errno: string | null;
  readonly info?: Record<string, unknown>;
  /** Why a step could not be run (`replay:…`), or the failing call (`linux:…`). */
  readonly reason?: string;
}

/** The results of one scenario, step by step. */
export interface LinuxScenarioResult {
  readonly name: string;
  readonly steps: LinuxStepResult[];
}

/** The spec of a `spawn` step. */
export interface LinuxSpawnSpec {
  readonly pre_uid?: number;
  readonly userns?: boolean;
  readonly map?: string;
  readonly uid_map?: string;
  readonly gid_map?: string;
  readonly self_outer_uid?: number;
  readonly self_outer_gid?: number;
  readonly mntns?: boolean;
  readonly uid?: number;
}

/** One step of a scenario, as the replayer reads it (every field optional: malformed steps become `REPLAY`). */
export interface LinuxStep {
  readonly spawn?: string;
  readonly spec?: LinuxSpawnSpec;
  readonly parent?: string;
  readonly actor?: string;
  readonly op?: string;
  readonly args?: Readonly<Record<string, unknown>>;
  readonly save?: string;
  readonly pass_fd?: { readonly from?: string; readonly h?: string; readonly to?: string; readonly save?: string };
}
