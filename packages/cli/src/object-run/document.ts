/** A program as the open object describes it (before load). */
export interface OpenProgram {
  readonly name: string;
  readonly section: string;
  readonly prog_type: string;
  readonly expected_attach_type: string | null;
  readonly insn_cnt_at_open: number;
  readonly autoload: boolean;
}

/** A map as the open object describes it (before load). */
export interface OpenMap {
  readonly name: string;
  readonly type: string;
  readonly key_size: number;
  readonly value_size: number;
  readonly max_entries: number;
  readonly map_flags: number;
  readonly map_extra: number;
  readonly internal: boolean;
  readonly initial_value?: string;
}

/** `open`: the object as read, or why it could not be. */
export type OpenView =
  | { readonly ok: true; readonly object_name: string; readonly programs: readonly OpenProgram[]; readonly maps: readonly OpenMap[] }
  | { readonly ok: false; readonly errno_name: string; readonly error: string };

/** An `ld_imm64` that refers to a map. */
export interface MapRef {
  readonly insn: number;
  readonly kind: 'map_fd' | 'map_value';
  readonly map: string;
  readonly value_off?: number;
}

/** One program's load, as submitted and as the verifier answered. */
export interface ProgramLoad {
  readonly name: string;
  readonly loaded: boolean;
  readonly verified_insns?: number;
  readonly loaded_insn_cnt?: number;
  readonly insns_hex: string;
  readonly map_refs: readonly MapRef[];
  readonly verifier_stats_log: readonly string[];
  readonly errno_name?: string;
  readonly verifier_log_tail?: readonly string[];
}

/** One entry of a map dump. */
export type DumpEntry =
  | { readonly key: string; readonly value: string }
  | { readonly key: string; readonly percpu: readonly string[] }
  | { readonly key: string; readonly inner_map: string | null };

/** A map's contents in the format's per-type shape. */
export interface MapDump {
  readonly name: string;
  readonly type: string;
  readonly value?: string;
  readonly entries?: readonly DumpEntry[];
  readonly occupied_slots?: readonly number[];
  readonly peek?: string | null;
  readonly skipped?: true;
}

/** The whole document `bpfkit object run --json` prints. */
export interface ObjectRunDocument {
  readonly file: string;
  readonly open: OpenView;
  readonly load?: { readonly ok: boolean; readonly errno_name: string | null; readonly failed_program: string | null };
  readonly program_loads?: readonly ProgramLoad[];
  readonly maps_after_load?: readonly MapDump[];
  readonly steps?: readonly Record<string, unknown>[];
}
