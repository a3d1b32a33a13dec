// BPF_F_* map_flags bits used by the create-time checks. Kept local until @bpfkit/uapi exports them.
export const BPF_F_NO_PREALLOC = 1 << 0;
export const BPF_F_NO_COMMON_LRU = 1 << 1;
export const BPF_F_NUMA_NODE = 1 << 2;
export const BPF_F_RDONLY = 1 << 3;
export const BPF_F_WRONLY = 1 << 4;
export const BPF_F_STACK_BUILD_ID = 1 << 5;
export const BPF_F_ZERO_SEED = 1 << 6;
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_WRONLY_PROG = 1 << 8;
export const BPF_F_CLONE = 1 << 9;
export const BPF_F_MMAPABLE = 1 << 10;
export const BPF_F_PRESERVE_ELEMS = 1 << 11;
export const BPF_F_INNER_MAP = 1 << 12;
export const BPF_F_LINK = 1 << 13;
export const BPF_F_VTYPE_BTF_OBJ_FD = 1 << 15;
export const BPF_F_SEGV_ON_FAULT = 1 << 17;
export const BPF_F_NO_USER_CONV = 1 << 18;

/** `BPF_F_ACCESS_MASK`. */
export const BPF_F_ACCESS_MASK = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

/** `NUMA_NO_NODE`. */
export const NUMA_NO_NODE = -1;
/** `CAP_SYS_ADMIN`. */
export const CAP_SYS_ADMIN = 21;
