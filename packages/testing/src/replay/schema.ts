/** A token-oracle/v1 RESULT. */
export interface OracleResult {
  readonly ok: boolean;
  /** The errno name (`EPERM`, `EOPNOTSUPP`), null on success. */
  readonly errno: string | null;
  readonly errno_num?: number;
  readonly info?: Readonly<Record<string, unknown>>;
}

/** The spec of a `spawn` step. */
export interface SpawnSpec {
  readonly pre_uid?: number;
  readonly userns?: boolean;
  readonly map?: 'orchestrator' | 'self';
  readonly uid_map?: string;
  readonly gid_map?: string;
  readonly self_outer_uid?: number;
  readonly self_outer_gid?: number;
  readonly mntns?: boolean;
  readonly uid?: number;
}

/** One step: a spawn, an op in an actor, or an fd passed between actors. */
export type OracleStep =
  | { readonly spawn: string; readonly spec: SpawnSpec; readonly parent?: string; readonly expect?: OracleResult }
  | {
      readonly actor: string;
      readonly op: string;
      readonly args: Readonly<Record<string, unknown>>;
      readonly save?: string;
      readonly check?: boolean;
      readonly expect?: OracleResult;
    }
  | { readonly pass_fd: { readonly from: string; readonly h: string; readonly to: string; readonly save: string }; readonly expect?: OracleResult };

export interface OracleScenario {
  readonly name: string;
  readonly description?: string;
  readonly steps: readonly OracleStep[];
  readonly expect?: OracleResult;
}

/** A `token-oracle/v1` file. */
export interface OracleFile {
  readonly schema: string;
  readonly kernel?: string;
  readonly environment?: Readonly<Record<string, unknown>>;
  readonly scenarios: readonly OracleScenario[];
}

/** What the replayer reports for one step. */
export interface StepResult {
  readonly ok: boolean;
  readonly errno: string | null;
  readonly info?: Record<string, unknown>;
  /** The BpfError reason (bpfkit's own; the real kernel has none). */
  readonly reason?: string;
}

/** What the replayer reports for one scenario. */
export interface ScenarioResult {
  readonly name: string;
  readonly steps: StepResult[];
}
