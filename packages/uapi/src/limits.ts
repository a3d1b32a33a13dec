/** Length of `map_name`/`prog_name`, NUL included (`BPF_OBJ_NAME_LEN`). */
export const BPF_OBJ_NAME_LEN = 16;
/** Bytes of a program tag (`BPF_TAG_SIZE`, the truncated SHA-1 shown in fdinfo `prog_tag`). */
export const BPF_TAG_SIZE = 8;
/** Bytes of a build id in `struct bpf_stack_build_id` (`BPF_BUILD_ID_SIZE`). */
export const BPF_BUILD_ID_SIZE = 20;
/** Instruction limit for unprivileged loads (`BPF_MAXINSNS`). */
export const BPF_MAXINSNS = 4096;
/** Instructions the verifier may process before giving up with E2BIG (`BPF_COMPLEXITY_LIMIT_INSNS`). */
export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;

/** `log_level` bit: verifier log of the instructions it walked. */
export const BPF_LOG_LEVEL1 = 1;
/** `log_level` bit: verbose log with every state. */
export const BPF_LOG_LEVEL2 = 2;
/** `log_level` bit: only the closing statistics. */
export const BPF_LOG_STATS = 4;
/** `log_level` bit: keep the start of the log when it overflows instead of rotating (6.4+). */
export const BPF_LOG_FIXED = 8;
/** Every `log_level` bit userspace may set (kernel-internal `BPF_LOG_MASK`); others give EINVAL. */
export const BPF_LOG_MASK = BPF_LOG_LEVEL1 | BPF_LOG_LEVEL2 | BPF_LOG_STATS | BPF_LOG_FIXED;
/**
 * Largest accepted `log_size`/`btf_log_size` (`UINT_MAX >> 2`); larger gives EINVAL.
 * There is no lower bound on 6.18: a small buffer truncates and the load ends with ENOSPC
 * (checked on the real kernel: log_size 1 and 64 give ENOSPC, not EINVAL).
 */
export const BPF_LOG_SIZE_MAX = 0xffffffff >>> 2;

/** x86-64 page size: the largest attr size `bpf()` accepts (larger gives E2BIG). */
export const PAGE_SIZE = 4096;

/** ld_imm64 `src_reg`: imm is a map fd. */
export const BPF_PSEUDO_MAP_FD = 1;
/** ld_imm64 `src_reg`: imm is a map fd, next imm an offset into its value. */
export const BPF_PSEUDO_MAP_VALUE = 2;
/** ld_imm64 `src_reg`: imm is a kernel BTF id of a variable. */
export const BPF_PSEUDO_BTF_ID = 3;
/** ld_imm64 `src_reg`: imm is a relative offset to a BPF subprogram (callback address). */
export const BPF_PSEUDO_FUNC = 4;
/** ld_imm64 `src_reg`: imm is an index into `fd_array`. */
export const BPF_PSEUDO_MAP_IDX = 5;
/** ld_imm64 `src_reg`: index into `fd_array`, next imm an offset into the value. */
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;
/** call `src_reg`: imm is a relative offset to a BPF subprogram. */
export const BPF_PSEUDO_CALL = 1;
/** call `src_reg`: imm is a kernel function BTF id (kfunc). */
export const BPF_PSEUDO_KFUNC_CALL = 2;

/** `src_reg` values of BPF_LD_IMM64. */
export const BpfPseudoLdImm64 = {
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_VALUE,
  BPF_PSEUDO_BTF_ID,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
} as const;

/** `src_reg` values of BPF_CALL. */
export const BpfPseudoCall = { BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL } as const;
