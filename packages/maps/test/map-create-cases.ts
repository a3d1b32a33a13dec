// The create-time rules of every map type, one case per rule. Cases marked `kernel` were
// replayed on the real Linux 6.18.44 kernel (root, python3 ctypes bpf()) with the same errno.
import { BpfMapType as T } from '@bpfkit/uapi';

export interface MapCase {
  readonly rule: string;
  readonly type: number;
  readonly key?: number;
  readonly value?: number;
  readonly max?: number;
  readonly flags?: number;
  readonly extra?: bigint;
  readonly btf?: boolean;
  /** The inner map of a map-in-map: a type, or an fd lookup failure. */
  readonly inner?: number | 'EBADF' | 'EINVAL' | 'nested';
  readonly expect: 'ok' | 'EINVAL' | 'E2BIG' | 'EPERM' | 'ENOTSUPP' | 'ENOMEM' | 'ERANGE' | 'EBADF';
  readonly kernel?: boolean;
}

const NO_PREALLOC = 1, NO_COMMON_LRU = 2, NUMA = 4, RDONLY_PROG = 128, WRONLY_PROG = 256, MMAPABLE = 1024;
const PRESERVE = 2048, INNER_MAP = 4096, ZERO_SEED = 64, BUILD_ID = 32, CLONE = 512, LINK = 8192, SEGV = 1 << 17;
const MiB4 = 4 * 1024 * 1024;

export const mapCases: readonly MapCase[] = [
  { rule: 'unspec has no ops', type: 0, expect: 'EINVAL', kernel: true },
  // hash family
  { rule: 'hash accepts a plain request', type: T.BPF_MAP_TYPE_HASH, expect: 'ok', kernel: true },
  { rule: 'hash key_size 0 is refused', type: T.BPF_MAP_TYPE_HASH, key: 0, expect: 'EINVAL', kernel: true },
  { rule: 'hash value_size 0 is refused', type: T.BPF_MAP_TYPE_HASH, value: 0, expect: 'EINVAL', kernel: true },
  { rule: 'hash max_entries 0 is refused', type: T.BPF_MAP_TYPE_HASH, max: 0, expect: 'EINVAL', kernel: true },
  { rule: 'hash key+value reaching KMALLOC_MAX_SIZE - 48 is E2BIG', type: T.BPF_MAP_TYPE_HASH, value: MiB4 - 4 - 48, expect: 'E2BIG', kernel: true },
  { rule: 'hash key+value just below the limit is fine', type: T.BPF_MAP_TYPE_HASH, value: MiB4 - 4 - 49, expect: 'ok', kernel: true },
  { rule: 'hash unknown flag (bit 15) is refused', type: T.BPF_MAP_TYPE_HASH, flags: 1 << 15, expect: 'EINVAL', kernel: true },
  { rule: 'hash rdonly_prog with wronly_prog is refused', type: T.BPF_MAP_TYPE_HASH, flags: RDONLY_PROG | WRONLY_PROG, expect: 'EINVAL', kernel: true },
  { rule: 'hash NO_COMMON_LRU needs an LRU type', type: T.BPF_MAP_TYPE_HASH, flags: NO_COMMON_LRU, expect: 'EINVAL', kernel: true },
  { rule: 'hash max_entries above 2^28 buckets is E2BIG', type: T.BPF_MAP_TYPE_HASH, max: 2 ** 28 + 1, flags: NO_PREALLOC, expect: 'E2BIG', kernel: true },
  { rule: 'hash max_entries above 2^31 is E2BIG', type: T.BPF_MAP_TYPE_HASH, max: 2 ** 31 + 1, flags: NO_PREALLOC, expect: 'E2BIG', kernel: true },
  { rule: 'hash zero seed with CAP_SYS_ADMIN is fine', type: T.BPF_MAP_TYPE_HASH, flags: ZERO_SEED, expect: 'ok', kernel: true },
  { rule: 'percpu_hash value above PCPU_MIN_UNIT_SIZE is E2BIG', type: T.BPF_MAP_TYPE_PERCPU_HASH, value: 32 * 1024 + 1, expect: 'E2BIG', kernel: true },
  { rule: 'percpu_hash value of PCPU_MIN_UNIT_SIZE is fine', type: T.BPF_MAP_TYPE_PERCPU_HASH, value: 32 * 1024, expect: 'ok', kernel: true },
  { rule: 'percpu_hash with a NUMA node is refused', type: T.BPF_MAP_TYPE_PERCPU_HASH, flags: NUMA, expect: 'EINVAL', kernel: true },
  { rule: 'lru_hash without prealloc is ENOTSUPP', type: T.BPF_MAP_TYPE_LRU_HASH, flags: NO_PREALLOC, expect: 'ENOTSUPP', kernel: true },
  { rule: 'lru_hash with NO_COMMON_LRU is fine', type: T.BPF_MAP_TYPE_LRU_HASH, flags: NO_COMMON_LRU, max: 3, expect: 'ok', kernel: true },
  { rule: 'lru_hash NO_COMMON_LRU with a NUMA node is refused', type: T.BPF_MAP_TYPE_LRU_HASH, flags: NO_COMMON_LRU | NUMA, expect: 'EINVAL', kernel: true },
  { rule: 'lru_percpu_hash accepts a plain request', type: T.BPF_MAP_TYPE_LRU_PERCPU_HASH, expect: 'ok', kernel: true },
  // arrays
  { rule: 'array accepts a plain request', type: T.BPF_MAP_TYPE_ARRAY, expect: 'ok', kernel: true },
  { rule: 'array key_size must be 4', type: T.BPF_MAP_TYPE_ARRAY, key: 8, expect: 'EINVAL', kernel: true },
  { rule: 'array value_size 0 is refused', type: T.BPF_MAP_TYPE_ARRAY, value: 0, expect: 'EINVAL', kernel: true },
  { rule: 'array max_entries 0 is refused', type: T.BPF_MAP_TYPE_ARRAY, max: 0, expect: 'EINVAL', kernel: true },
  { rule: 'array may be mmapable', type: T.BPF_MAP_TYPE_ARRAY, flags: MMAPABLE, expect: 'ok', kernel: true },
  { rule: 'array may be an inner-map template', type: T.BPF_MAP_TYPE_ARRAY, flags: INNER_MAP, expect: 'ok', kernel: true },
  { rule: 'array PRESERVE_ELEMS is for perf event arrays', type: T.BPF_MAP_TYPE_ARRAY, flags: PRESERVE, expect: 'EINVAL', kernel: true },
  { rule: 'array NO_PREALLOC is refused', type: T.BPF_MAP_TYPE_ARRAY, flags: NO_PREALLOC, expect: 'EINVAL', kernel: true },
  { rule: 'array value above INT_MAX is E2BIG', type: T.BPF_MAP_TYPE_ARRAY, value: 2 ** 31, expect: 'E2BIG', kernel: true },
  { rule: 'array too large to allocate is ENOMEM', type: T.BPF_MAP_TYPE_ARRAY, value: 2 ** 30, max: 64, expect: 'ENOMEM', kernel: true },
  { rule: 'percpu_array mmapable is refused', type: T.BPF_MAP_TYPE_PERCPU_ARRAY, flags: MMAPABLE, expect: 'EINVAL', kernel: true },
  { rule: 'percpu_array with a NUMA node is refused', type: T.BPF_MAP_TYPE_PERCPU_ARRAY, flags: NUMA, expect: 'EINVAL', kernel: true },
  { rule: 'percpu_array value above PCPU_MIN_UNIT_SIZE is E2BIG', type: T.BPF_MAP_TYPE_PERCPU_ARRAY, value: 32 * 1024 + 1, expect: 'E2BIG', kernel: true },
  { rule: 'prog_array value_size must be 4', type: T.BPF_MAP_TYPE_PROG_ARRAY, value: 8, expect: 'EINVAL', kernel: true },
  { rule: 'prog_array takes no RDONLY_PROG', type: T.BPF_MAP_TYPE_PROG_ARRAY, value: 4, flags: RDONLY_PROG, expect: 'EINVAL', kernel: true },
  { rule: 'prog_array accepts 4-byte values', type: T.BPF_MAP_TYPE_PROG_ARRAY, value: 4, expect: 'ok', kernel: true },
  { rule: 'perf_event_array may preserve elements', type: T.BPF_MAP_TYPE_PERF_EVENT_ARRAY, value: 4, flags: PRESERVE, expect: 'ok', kernel: true },
  { rule: 'cgroup_array value_size must be 4', type: T.BPF_MAP_TYPE_CGROUP_ARRAY, value: 8, expect: 'EINVAL', kernel: true },
  { rule: 'reuseport_sockarray value_size 8 is fine', type: T.BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, value: 8, expect: 'ok', kernel: true },
  { rule: 'reuseport_sockarray value_size 2 is refused', type: T.BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, value: 2, expect: 'EINVAL', kernel: true },
  // map in map
  { rule: 'array_of_maps with an array inner map is fine', type: T.BPF_MAP_TYPE_ARRAY_OF_MAPS, value: 4, inner: T.BPF_MAP_TYPE_ARRAY, expect: 'ok', kernel: true },
  { rule: 'array_of_maps value_size must be 4', type: T.BPF_MAP_TYPE_ARRAY_OF_MAPS, value: 8, inner: T.BPF_MAP_TYPE_ARRAY, expect: 'EINVAL', kernel: true },
  { rule: 'hash_of_maps value_size must be 4', type: T.BPF_MAP_TYPE_HASH_OF_MAPS, value: 8, inner: T.BPF_MAP_TYPE_ARRAY, expect: 'EINVAL', kernel: true },
  { rule: 'map-in-map inner fd not open is EBADF', type: T.BPF_MAP_TYPE_ARRAY_OF_MAPS, value: 4, inner: 'EBADF', expect: 'EBADF', kernel: true },
  { rule: 'map-in-map inner fd not a map is EINVAL', type: T.BPF_MAP_TYPE_HASH_OF_MAPS, value: 4, inner: 'EINVAL', expect: 'EINVAL', kernel: true },
  { rule: 'map-in-map cannot nest', type: T.BPF_MAP_TYPE_ARRAY_OF_MAPS, value: 4, inner: 'nested', expect: 'EINVAL', kernel: true },
  { rule: 'prog_array cannot be an inner map', type: T.BPF_MAP_TYPE_ARRAY_OF_MAPS, value: 4, inner: T.BPF_MAP_TYPE_PROG_ARRAY, expect: 'ENOTSUPP', kernel: true },
  { rule: 'cgroup_storage cannot be an inner map', type: T.BPF_MAP_TYPE_HASH_OF_MAPS, value: 4, inner: T.BPF_MAP_TYPE_CGROUP_STORAGE, expect: 'ENOTSUPP', kernel: true },
  { rule: 'ringbuf can be an inner map', type: T.BPF_MAP_TYPE_HASH_OF_MAPS, value: 4, inner: T.BPF_MAP_TYPE_RINGBUF, expect: 'ok', kernel: true },
  // stack trace
  { rule: 'stack_trace accepts u64 frames', type: T.BPF_MAP_TYPE_STACK_TRACE, value: 8 * 127, expect: 'ok', kernel: true },
  { rule: 'stack_trace value must be a multiple of 8', type: T.BPF_MAP_TYPE_STACK_TRACE, value: 12, expect: 'EINVAL', kernel: true },
  { rule: 'stack_trace more than perf_event_max_stack frames is refused', type: T.BPF_MAP_TYPE_STACK_TRACE, value: 8 * 128, expect: 'EINVAL', kernel: true },
  { rule: 'stack_trace build ids must be 32-byte records', type: T.BPF_MAP_TYPE_STACK_TRACE, value: 40, flags: BUILD_ID, expect: 'EINVAL', kernel: true },
  { rule: 'stack_trace build ids of 32 bytes are fine', type: T.BPF_MAP_TYPE_STACK_TRACE, value: 64, flags: BUILD_ID, expect: 'ok', kernel: true },
  { rule: 'stack_trace refuses NO_PREALLOC', type: T.BPF_MAP_TYPE_STACK_TRACE, flags: NO_PREALLOC, expect: 'EINVAL', kernel: true },
  { rule: 'stack_trace key_size must be 4', type: T.BPF_MAP_TYPE_STACK_TRACE, key: 8, expect: 'EINVAL', kernel: true },
  { rule: 'stack_trace max_entries above 2^31 is E2BIG', type: T.BPF_MAP_TYPE_STACK_TRACE, max: 2 ** 31 + 1, expect: 'E2BIG', kernel: true },
  // lpm trie
  { rule: 'lpm_trie needs NO_PREALLOC', type: T.BPF_MAP_TYPE_LPM_TRIE, key: 8, expect: 'EINVAL', kernel: true },
  { rule: 'lpm_trie accepts 8-byte keys', type: T.BPF_MAP_TYPE_LPM_TRIE, key: 8, flags: NO_PREALLOC, expect: 'ok', kernel: true },
  { rule: 'lpm_trie key below 5 bytes is refused', type: T.BPF_MAP_TYPE_LPM_TRIE, key: 4, flags: NO_PREALLOC, expect: 'EINVAL', kernel: true },
  { rule: 'lpm_trie key above 260 bytes is refused', type: T.BPF_MAP_TYPE_LPM_TRIE, key: 261, flags: NO_PREALLOC, expect: 'EINVAL', kernel: true },
  { rule: 'lpm_trie value up to KMALLOC_MAX_SIZE - 280 is fine', type: T.BPF_MAP_TYPE_LPM_TRIE, key: 8, value: MiB4 - 280, flags: NO_PREALLOC, expect: 'ok', kernel: true },
  { rule: 'lpm_trie value above KMALLOC_MAX_SIZE - 280 is refused', type: T.BPF_MAP_TYPE_LPM_TRIE, key: 8, value: MiB4 - 279, flags: NO_PREALLOC, expect: 'EINVAL', kernel: true },
  { rule: 'lpm_trie value_size 0 is refused', type: T.BPF_MAP_TYPE_LPM_TRIE, key: 8, value: 0, flags: NO_PREALLOC, expect: 'EINVAL', kernel: true },
  // queue / stack
  { rule: 'queue needs key_size 0', type: T.BPF_MAP_TYPE_QUEUE, key: 4, expect: 'EINVAL', kernel: true },
  { rule: 'queue accepts key_size 0', type: T.BPF_MAP_TYPE_QUEUE, key: 0, expect: 'ok', kernel: true },
  { rule: 'stack value above KMALLOC_MAX_SIZE is E2BIG', type: T.BPF_MAP_TYPE_STACK, key: 0, value: MiB4 + 1, expect: 'E2BIG', kernel: true },
  { rule: 'stack refuses NO_PREALLOC', type: T.BPF_MAP_TYPE_STACK, key: 0, flags: NO_PREALLOC, expect: 'EINVAL', kernel: true },
  // ring buffers
  { rule: 'ringbuf of one page is fine', type: T.BPF_MAP_TYPE_RINGBUF, key: 0, value: 0, max: 4096, expect: 'ok', kernel: true },
  { rule: 'ringbuf smaller than a page is refused', type: T.BPF_MAP_TYPE_RINGBUF, key: 0, value: 0, max: 2048, expect: 'EINVAL', kernel: true },
  { rule: 'ringbuf size must be a power of two', type: T.BPF_MAP_TYPE_RINGBUF, key: 0, value: 0, max: 3 * 4096, expect: 'EINVAL', kernel: true },
  { rule: 'ringbuf needs key_size 0 and value_size 0', type: T.BPF_MAP_TYPE_RINGBUF, max: 4096, expect: 'EINVAL', kernel: true },
  { rule: 'ringbuf takes only BPF_F_NUMA_NODE', type: T.BPF_MAP_TYPE_RINGBUF, key: 0, value: 0, max: 4096, flags: RDONLY_PROG, expect: 'EINVAL', kernel: true },
  { rule: 'user_ringbuf of one page is fine', type: T.BPF_MAP_TYPE_USER_RINGBUF, key: 0, value: 0, max: 4096, expect: 'ok', kernel: true },
  // device / socket / cpu maps
  { rule: 'devmap value 4 is fine', type: T.BPF_MAP_TYPE_DEVMAP, value: 4, expect: 'ok', kernel: true },
  { rule: 'devmap value 6 is refused', type: T.BPF_MAP_TYPE_DEVMAP, value: 6, expect: 'EINVAL', kernel: true },
  { rule: 'devmap refuses RDONLY_PROG from user space', type: T.BPF_MAP_TYPE_DEVMAP, value: 4, flags: RDONLY_PROG, expect: 'EINVAL', kernel: true },
  { rule: 'devmap_hash max_entries above 2^31 is EINVAL', type: T.BPF_MAP_TYPE_DEVMAP_HASH, value: 8, max: 2 ** 31 + 1, expect: 'EINVAL', kernel: true },
  { rule: 'cpumap above NR_CPUS is E2BIG', type: T.BPF_MAP_TYPE_CPUMAP, value: 4, max: 257, expect: 'E2BIG', kernel: true },
  { rule: 'cpumap at NR_CPUS is fine', type: T.BPF_MAP_TYPE_CPUMAP, value: 4, max: 256, expect: 'ok', kernel: true },
  { rule: 'cpumap value 12 is refused', type: T.BPF_MAP_TYPE_CPUMAP, value: 12, expect: 'EINVAL', kernel: true },
  { rule: 'xskmap value must be 4', type: T.BPF_MAP_TYPE_XSKMAP, value: 8, expect: 'EINVAL', kernel: true },
  { rule: 'sockmap value 8 is fine', type: T.BPF_MAP_TYPE_SOCKMAP, value: 8, expect: 'ok', kernel: true },
  { rule: 'sockmap key must be 4', type: T.BPF_MAP_TYPE_SOCKMAP, key: 8, value: 4, expect: 'EINVAL', kernel: true },
  { rule: 'sockhash key above MAX_BPF_STACK is E2BIG', type: T.BPF_MAP_TYPE_SOCKHASH, key: 513, value: 4, expect: 'E2BIG', kernel: true },
  { rule: 'sockhash too many buckets is EINVAL', type: T.BPF_MAP_TYPE_SOCKHASH, value: 4, max: 2 ** 28 + 1, expect: 'EINVAL', kernel: true },
  // cgroup storage
  { rule: 'cgroup_storage accepts an 8-byte key', type: T.BPF_MAP_TYPE_CGROUP_STORAGE, key: 8, max: 0, expect: 'ok', kernel: true },
  { rule: 'cgroup_storage accepts the 16-byte key', type: T.BPF_MAP_TYPE_CGROUP_STORAGE, key: 16, max: 0, expect: 'ok', kernel: true },
  { rule: 'cgroup_storage key 4 is refused', type: T.BPF_MAP_TYPE_CGROUP_STORAGE, key: 4, max: 0, expect: 'EINVAL', kernel: true },
  { rule: 'cgroup_storage max_entries must be 0', type: T.BPF_MAP_TYPE_CGROUP_STORAGE, key: 8, max: 1, expect: 'EINVAL', kernel: true },
  { rule: 'cgroup_storage value above 65535 - 128 is E2BIG', type: T.BPF_MAP_TYPE_CGROUP_STORAGE, key: 8, max: 0, value: 65408, expect: 'E2BIG', kernel: true },
  { rule: 'percpu_cgroup_storage value above PCPU_MIN_UNIT_SIZE is E2BIG', type: T.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE, key: 8, max: 0, value: 32 * 1024 + 1, expect: 'E2BIG', kernel: true },
  // local storage (BTF is mandatory)
  { rule: 'sk_storage without BTF is refused', type: T.BPF_MAP_TYPE_SK_STORAGE, max: 0, flags: NO_PREALLOC, expect: 'EINVAL', kernel: true },
  { rule: 'sk_storage with BTF is fine', type: T.BPF_MAP_TYPE_SK_STORAGE, max: 0, flags: NO_PREALLOC, btf: true, expect: 'ok' },
  { rule: 'task_storage needs NO_PREALLOC', type: T.BPF_MAP_TYPE_TASK_STORAGE, max: 0, btf: true, expect: 'EINVAL' },
  { rule: 'inode_storage max_entries must be 0', type: T.BPF_MAP_TYPE_INODE_STORAGE, flags: NO_PREALLOC, btf: true, expect: 'EINVAL' },
  { rule: 'cgrp_storage may be cloned', type: T.BPF_MAP_TYPE_CGRP_STORAGE, max: 0, flags: NO_PREALLOC | CLONE, btf: true, expect: 'ok' },
  { rule: 'sk_storage value above 65535 - 128 is E2BIG', type: T.BPF_MAP_TYPE_SK_STORAGE, max: 0, value: 65408, flags: NO_PREALLOC, btf: true, expect: 'E2BIG' },
  // struct_ops
  { rule: 'struct_ops needs btf_vmlinux_value_type_id', type: T.BPF_MAP_TYPE_STRUCT_OPS, expect: 'EINVAL', kernel: true },
  { rule: 'struct_ops with a known value type is fine', type: T.BPF_MAP_TYPE_STRUCT_OPS, btf: true, value: 64, flags: LINK, expect: 'ok' },
  { rule: 'struct_ops value_size must match the value type', type: T.BPF_MAP_TYPE_STRUCT_OPS, btf: true, value: 8, expect: 'EINVAL' },
  // bloom filter
  { rule: 'bloom_filter needs key_size 0', type: T.BPF_MAP_TYPE_BLOOM_FILTER, expect: 'EINVAL', kernel: true },
  { rule: 'bloom_filter accepts 15 hash functions', type: T.BPF_MAP_TYPE_BLOOM_FILTER, key: 0, extra: 15n, expect: 'ok', kernel: true },
  { rule: 'bloom_filter refuses 16 hash functions', type: T.BPF_MAP_TYPE_BLOOM_FILTER, key: 0, extra: 16n, expect: 'EINVAL', kernel: true },
  { rule: 'bloom_filter value above KMALLOC_MAX_SIZE is E2BIG', type: T.BPF_MAP_TYPE_BLOOM_FILTER, key: 0, value: MiB4 + 1, expect: 'E2BIG', kernel: true },
  { rule: 'bloom_filter huge max_entries uses a 2^32-bit array', type: T.BPF_MAP_TYPE_BLOOM_FILTER, key: 0, max: 0xffffffff, expect: 'ok', kernel: true },
  // arena
  { rule: 'arena needs BPF_F_MMAPABLE', type: T.BPF_MAP_TYPE_ARENA, key: 0, value: 0, expect: 'EINVAL', kernel: true },
  { rule: 'arena of one page is fine', type: T.BPF_MAP_TYPE_ARENA, key: 0, value: 0, flags: MMAPABLE, expect: 'ok', kernel: true },
  { rule: 'arena may fault with SIGSEGV', type: T.BPF_MAP_TYPE_ARENA, key: 0, value: 0, flags: MMAPABLE | SEGV, expect: 'ok', kernel: true },
  { rule: 'arena above 4 GiB is E2BIG', type: T.BPF_MAP_TYPE_ARENA, key: 0, value: 0, max: 2 ** 20 + 1, flags: MMAPABLE, expect: 'E2BIG', kernel: true },
  { rule: 'arena map_extra must be page aligned', type: T.BPF_MAP_TYPE_ARENA, key: 0, value: 0, flags: MMAPABLE, extra: 0x1000_0001n, expect: 'EINVAL', kernel: true },
  { rule: 'arena user range must not cross 4 GiB', type: T.BPF_MAP_TYPE_ARENA, key: 0, value: 0, max: 2, flags: MMAPABLE, extra: 0xffff_f000n, expect: 'ERANGE', kernel: true },
  // arena_map_alloc's other rules, from kernel/bpf/arena.c (this machine's kernel refuses every ARENA map: EPERM).
  { rule: 'arena key_size must be 0', type: T.BPF_MAP_TYPE_ARENA, key: 4, value: 0, flags: MMAPABLE, expect: 'EINVAL' },
  { rule: 'arena value_size must be 0', type: T.BPF_MAP_TYPE_ARENA, key: 0, value: 8, flags: MMAPABLE, expect: 'EINVAL' },
  { rule: 'arena max_entries 0 is refused', type: T.BPF_MAP_TYPE_ARENA, key: 0, value: 0, max: 0, flags: MMAPABLE, expect: 'EINVAL' },
  { rule: 'arena takes no flag but MMAPABLE, SEGV_ON_FAULT, NO_USER_CONV', type: T.BPF_MAP_TYPE_ARENA, key: 0, value: 0, flags: MMAPABLE | RDONLY_PROG, expect: 'EINVAL' },
  { rule: 'arena with BPF_F_NO_USER_CONV is fine', type: T.BPF_MAP_TYPE_ARENA, key: 0, value: 0, flags: MMAPABLE | (1 << 18), expect: 'ok' },
  { rule: 'arena of 4 GiB at a 4 GiB boundary is fine', type: T.BPF_MAP_TYPE_ARENA, key: 0, value: 0, max: 2 ** 20, flags: MMAPABLE, extra: 0x1_0000_0000n, expect: 'ok' },
];
