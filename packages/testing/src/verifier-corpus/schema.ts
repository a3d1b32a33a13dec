/**
 * The verifier-corpus case schema (`corpus/verifier/README.md`), as far as a
 * replay reads it. Classic cases (test_verifier) and progs cases (test_loader)
 * share the common part; the rest is optional. The `kernel`, `agreement` and
 * `gen` fields are the recorded answers and are never read by a replay.
 */
export interface CorpusCase {
  readonly id: string;
  readonly prog_type: { readonly number: number };
  readonly expected_attach_type?: { readonly number: number } | null;
  readonly flags?: { readonly prog_flags?: number };
  readonly license?: string;
  readonly log_level?: number;
  readonly insns: readonly string[] | null;
  /** Classic cases with more than 100k instructions: a gzip file of raw instructions, relative to the case file. */
  readonly insns_file?: string;
  readonly expected?: { readonly runs?: readonly { readonly data?: string | null; readonly retval_any?: boolean }[] | null };
  readonly test_runs?: readonly { readonly data?: string | null }[];
  // classic
  readonly fixups?: readonly { readonly kind: string; readonly insn_index: number }[];
  readonly kfunc_fixups?: readonly { readonly kfunc: string; readonly insn_index: number }[];
  readonly attach_btf_func?: string | null;
  readonly btf?: { readonly hex: string } | null;
  readonly func_info?: readonly { readonly insn_off: number; readonly type_id: number }[] | null;
  // progs
  readonly prog_name?: string;
  readonly maps?: readonly CorpusMap[];
  readonly map_relocs?: readonly { readonly insn_index: number; readonly map: string; readonly pseudo: string }[];
  readonly btf_id_relocs?: readonly CorpusBtfIdReloc[];
  readonly prog_btf?: string | null;
  readonly func_info_hex?: string | null;
  readonly func_info_rec_size?: number | null;
  readonly line_info_hex?: string | null;
  readonly line_info_rec_size?: number | null;
  readonly attach_btf?: { readonly name: string; readonly btf_kind?: number | string } | null;
  readonly aux_progs?: readonly CorpusAuxProg[];
  readonly post_load?: readonly { readonly op: string; readonly map: string; readonly key: string; readonly prog: string }[];
  readonly caps_drop?: readonly string[] | null;
}

/** A map of a progs case, as libbpf created it. */
export interface CorpusMap {
  readonly id: string;
  readonly name: string;
  readonly map_type_num: number;
  readonly key_size: number;
  readonly value_size: number;
  readonly max_entries: number;
  readonly map_flags: number;
  readonly numa_node?: number;
  readonly map_extra?: number | string;
  readonly btf?: string;
  readonly btf_key_type_id?: number;
  readonly btf_value_type_id?: number;
  readonly btf_vmlinux_value_type?: { readonly name: string; readonly btf_kind?: number | string };
  readonly inner?: CorpusMap;
  readonly init?: readonly { readonly key: string; readonly value?: string; readonly value_zero_len?: number | boolean }[];
  readonly freeze?: boolean;
}

/** A progs case's `btf_id_relocs` entry. */
export interface CorpusBtfIdReloc {
  readonly insn_index: number;
  readonly kind: string;
  readonly name: string;
  readonly btf_kind?: number | string;
  readonly fd_array_index?: number | null;
}

/** An `__auxiliary` program loaded with the case (tail-call targets…). */
export interface CorpusAuxProg {
  readonly prog_name: string;
  readonly prog_type?: { readonly number: number };
  readonly expected_attach_type?: { readonly number: number } | null;
  readonly insns: readonly string[];
  readonly map_relocs?: CorpusCase['map_relocs'];
  readonly btf_id_relocs?: readonly CorpusBtfIdReloc[];
  readonly prog_btf?: string | null;
  readonly func_info_hex?: string | null;
  readonly func_info_rec_size?: number | null;
  readonly line_info_hex?: string | null;
  readonly line_info_rec_size?: number | null;
  readonly flags?: { readonly prog_flags?: number };
  readonly attach_btf?: { readonly name: string; readonly btf_kind?: number | string } | null;
}

/** A map kind of classic fixups (`fixup_kinds.json`). */
export interface FixupKind {
  readonly map_type_num: number;
  readonly key_size: number;
  readonly value_size: number;
  readonly max_entries: number;
  readonly map_flags: number;
  readonly map_name?: string;
  readonly btf_hex?: string;
  readonly btf_key_type_id?: number;
  readonly btf_value_type_id?: number;
  readonly init?: readonly { readonly key_u32: number; readonly value_hex: string }[] | string;
  readonly inner_map?: { readonly map_type_num: number; readonly key_size: number; readonly value_size: number; readonly max_entries: number };
  readonly progs?: readonly { readonly key: number; readonly kind: string; readonly ret: number }[];
}

/** One output line of `bpfkit corpus replay` (`reference/corpus-replay.md`). */
export type CorpusReplayLine =
  | {
      readonly id: string;
      readonly verdict: 'accept' | 'reject';
      readonly errno: string | null;
      readonly log_tail: readonly string[];
      readonly processed: number | null;
      readonly runs: readonly CorpusRunLine[];
    }
  | { readonly id: string; readonly error: string };

/** One test run of an accepted case. */
export interface CorpusRunLine {
  readonly retval: number;
  readonly errno: number;
  readonly data_out: string;
}
