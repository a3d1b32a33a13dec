import { BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_F_WRONLY_PROG } from '@bpfkit/uapi';

// Kernel-internal constants the create-time checks use; they are not part of the UAPI.
// The BPF_F_* bits and the ringbuf's BPF_RB_* / BPF_RINGBUF_* values come from @bpfkit/uapi.

/** `BPF_F_ACCESS_MASK` (include/linux/bpf.h): the syscall-side and program-side access flags. */
export const BPF_F_ACCESS_MASK = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

/** `NUMA_NO_NODE`: what `bpf_map_attr_numa_node()` gives without BPF_F_NUMA_NODE. */
export const NUMA_NO_NODE = -1;
