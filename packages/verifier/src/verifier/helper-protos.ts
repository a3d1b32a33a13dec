import { bpfFuncId } from '@bpfkit/uapi';

/** Argument kinds of `struct bpf_func_proto` (subset). */
export type ArgType =
  | 'anything' | 'ctx' | 'map' | 'map_key' | 'map_value' | 'uninit_mem' | 'mem' | 'const_size' | 'const_size_or_zero'
  | 'const_alloc_size_or_zero' | 'sock_common' | 'sock_common_release' | 'ringbuf_mem_release' | 'ctx_or_null' | 'mem_or_null'
  | 'func' | 'stack_or_null' | 'btf_id' | 'timer' | 'spin_lock' | 'spin_unlock' | 'percpu_btf_id' | 'kptr_xchg_dest' | 'btf_id_or_null_release'
  | 'btf_id_sock_common' | 'map_value_or_null' | 'long_out' | 'u32_inout';
/** Return kinds (subset). */
export type RetType = 'integer' | 'void' | 'map_value' | 'map_value_or_null' | 'ringbuf_mem_or_null' | 'sock_or_null' | 'sock_common_or_null' | 'tcp_sock_or_null'
  /** `RET_PTR_TO_BTF_ID_TRUSTED` to `struct task_struct`. */
  | 'task_btf'
  /** `RET_PTR_TO_BTF_ID_OR_NULL` to the socket struct {@link HelperProto.retStruct} names. */
  | 'btf_id_or_null';

export interface HelperProto {
  readonly args: readonly ArgType[];
  readonly ret: RetType;
  readonly gplOnly?: boolean;
  /** Returns a new reference the program must release (`is_acquire_function`). */
  readonly acquire?: boolean;
  /** Returns its argument viewed as another type, keeping its reference (`is_ptr_cast_function`). */
  readonly cast?: boolean;
  /** Takes packet pointers for its memory arguments (`pkt_access`), where the program type reads packets directly. */
  readonly pktAccess?: boolean;
  /** `ret_btf_id`: the kernel struct a BTF pointer return points to. */
  readonly retStruct?: string;
}

/** The `bpf_skc_to_*` casts: a socket in, a BTF pointer to the socket struct (or NULL) out, same reference. */
const skcTo = (retStruct: string): HelperProto => ({ args: ['btf_id_sock_common'], ret: 'btf_id_or_null', cast: true, retStruct });

const skLookup = (ret: RetType): HelperProto => ({ args: ['ctx', 'mem', 'const_size', 'anything', 'anything'], ret, acquire: true, pktAccess: true });

const probeRead: HelperProto = { args: ['uninit_mem', 'const_size_or_zero', 'anything'], ret: 'integer', gplOnly: true };
const noArgs: HelperProto = { args: [], ret: 'integer' };

/** Prototypes the first verifier part checks arguments for; other helpers are called unchecked. */
const PROTOS: Readonly<Record<string, HelperProto>> = {
  map_lookup_elem: { args: ['map', 'map_key'], ret: 'map_value_or_null', pktAccess: true },
  map_update_elem: { args: ['map', 'map_key', 'map_value', 'anything'], ret: 'integer', pktAccess: true },
  map_delete_elem: { args: ['map', 'map_key'], ret: 'integer', pktAccess: true },
  probe_read: probeRead,
  probe_read_kernel: probeRead,
  probe_read_user: probeRead,
  probe_read_kernel_str: probeRead,
  probe_read_str: probeRead,
  get_stack: { args: ['ctx', 'uninit_mem', 'const_size_or_zero', 'anything'], ret: 'integer', gplOnly: true },
  probe_read_user_str: probeRead,
  ktime_get_ns: noArgs,
  ktime_get_boot_ns: noArgs,
  ktime_get_coarse_ns: noArgs,
  ktime_get_tai_ns: noArgs,
  jiffies64: noArgs,
  get_prandom_u32: noArgs,
  get_smp_processor_id: noArgs,
  get_numa_node_id: noArgs,
  get_current_pid_tgid: noArgs,
  get_current_uid_gid: noArgs,
  get_current_task_btf: { args: [], ret: 'task_btf', gplOnly: true },
  get_current_comm: { args: ['uninit_mem', 'const_size'], ret: 'integer' },
  trace_printk: { args: ['mem', 'const_size'], ret: 'integer', gplOnly: true },
  tail_call: { args: ['ctx', 'map', 'anything'], ret: 'void' },
  ringbuf_output: { args: ['map', 'mem', 'const_size_or_zero', 'anything'], ret: 'integer' },
  ringbuf_reserve: { args: ['map', 'const_alloc_size_or_zero', 'anything'], ret: 'ringbuf_mem_or_null', acquire: true },
  ringbuf_submit: { args: ['ringbuf_mem_release', 'anything'], ret: 'void' },
  ringbuf_discard: { args: ['ringbuf_mem_release', 'anything'], ret: 'void' },
  sk_lookup_tcp: skLookup('sock_or_null'),
  sk_lookup_udp: skLookup('sock_or_null'),
  skc_lookup_tcp: skLookup('sock_common_or_null'),
  sk_release: { args: ['sock_common_release'], ret: 'integer' },
  skc_to_tcp6_sock: skcTo('tcp6_sock'),
  skc_to_tcp_sock: skcTo('tcp_sock'),
  skc_to_tcp_timewait_sock: skcTo('tcp_timewait_sock'),
  skc_to_tcp_request_sock: skcTo('tcp_request_sock'),
  skc_to_udp6_sock: skcTo('udp6_sock'),
  skc_to_unix_sock: skcTo('unix_sock'),
  skc_to_mptcp_sock: skcTo('mptcp_sock'),
  sk_fullsock: { args: ['sock_common'], ret: 'sock_or_null', cast: true },
  tcp_sock: { args: ['sock_common'], ret: 'tcp_sock_or_null', cast: true },
  get_listener_sock: { args: ['sock_common'], ret: 'sock_or_null' },
  skb_ecn_set_ce: { args: ['ctx'], ret: 'integer' },
  csum_diff: { args: ['mem_or_null', 'const_size_or_zero', 'mem_or_null', 'const_size_or_zero', 'anything'], ret: 'integer', pktAccess: true },
  csum_update: { args: ['ctx', 'anything'], ret: 'integer' },
  get_local_storage: { args: ['map', 'anything'], ret: 'map_value' },
  get_stackid: { args: ['ctx', 'map', 'anything'], ret: 'integer' },
  perf_event_output: { args: ['ctx', 'map', 'anything', 'mem', 'const_size_or_zero'], ret: 'integer' },
  getsockopt: { args: ['ctx', 'anything', 'anything', 'uninit_mem', 'const_size'], ret: 'integer' },
  setsockopt: { args: ['ctx', 'anything', 'anything', 'mem', 'const_size'], ret: 'integer' },
  get_netns_cookie: { args: ['ctx_or_null'], ret: 'integer' },
  skb_load_bytes: { args: ['ctx', 'anything', 'uninit_mem', 'const_size'], ret: 'integer' },
  skb_load_bytes_relative: { args: ['ctx', 'anything', 'uninit_mem', 'const_size', 'anything'], ret: 'integer' },
  skb_store_bytes: { args: ['ctx', 'anything', 'mem', 'const_size', 'anything'], ret: 'integer' },
  get_socket_cookie: { args: ['ctx'], ret: 'integer' },
  get_socket_uid: { args: ['ctx'], ret: 'integer' },
  get_cgroup_classid: { args: ['ctx'], ret: 'integer' },
  get_hash_recalc: { args: ['ctx'], ret: 'integer' },
  skb_pull_data: { args: ['ctx', 'anything'], ret: 'integer' },
  xdp_adjust_head: { args: ['ctx', 'anything'], ret: 'integer' },
  xdp_adjust_tail: { args: ['ctx', 'anything'], ret: 'integer' },
  xdp_adjust_meta: { args: ['ctx', 'anything'], ret: 'integer' },
  skb_change_head: { args: ['ctx', 'anything', 'anything'], ret: 'integer' },
  skb_change_tail: { args: ['ctx', 'anything', 'anything'], ret: 'integer' },
  l3_csum_replace: { args: ['ctx', 'anything', 'anything', 'anything', 'anything'], ret: 'integer' },
  l4_csum_replace: { args: ['ctx', 'anything', 'anything', 'anything', 'anything'], ret: 'integer' },
  loop: { args: ['anything', 'func', 'stack_or_null', 'anything'], ret: 'integer' },
  for_each_map_elem: { args: ['map', 'func', 'stack_or_null', 'anything'], ret: 'integer' },
  user_ringbuf_drain: { args: ['map', 'func', 'stack_or_null', 'anything'], ret: 'integer' },
  // Its task argument is a BTF pointer, which this verifier does not produce: every call is refused as the kernel refuses non-BTF pointers.
  find_vma: { args: ['btf_id', 'anything', 'func', 'stack_or_null', 'anything'], ret: 'integer' },
  // A bpf_timer lives in a map value described by BTF, which the maps here never have: refused at the timer argument.
  timer_init: { args: ['timer', 'map', 'anything'], ret: 'integer' },
  timer_set_callback: { args: ['timer', 'func'], ret: 'integer' },
  timer_start: { args: ['timer', 'anything', 'anything'], ret: 'integer' },
  timer_cancel: { args: ['timer'], ret: 'integer' },
  // The kernel's per-CPU BTF pointers are never produced here: every call is refused at the pointer, as the kernel refuses other pointers.
  per_cpu_ptr: { args: ['percpu_btf_id', 'anything'], ret: 'integer' },
  this_cpu_ptr: { args: ['percpu_btf_id'], ret: 'integer' },
  // Swaps a referenced kptr of a map value. Only NULL can be swapped in (no BTF pointers here); what comes out is
  // a reference the program must give back, which it cannot without kfuncs, so it is held to the end.
  kptr_xchg: { args: ['kptr_xchg_dest', 'btf_id_or_null_release'], ret: 'integer', acquire: true },
  // The result goes to an aligned, possibly uninitialized s64 (`ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED`).
  strtol: { args: ['mem', 'const_size', 'anything', 'long_out'], ret: 'integer' },
  strtoul: { args: ['mem', 'const_size', 'anything', 'long_out'], ret: 'integer' },
  // mtu_len is read and written: an aligned, initialized u32.
  check_mtu: { args: ['ctx', 'anything', 'u32_inout', 'anything', 'anything'], ret: 'integer' },
  sk_storage_get: { args: ['map', 'btf_id_sock_common', 'map_value_or_null', 'anything'], ret: 'map_value_or_null' },
  sk_storage_delete: { args: ['map', 'btf_id_sock_common'], ret: 'integer' },
  spin_lock: { args: ['spin_lock'], ret: 'void' },
  spin_unlock: { args: ['spin_unlock'], ret: 'void' },
};

const byId = new Map<number, HelperProto>();
for (const [name, proto] of Object.entries(PROTOS)) {
  const id = bpfFuncId(name);
  if (id !== undefined) byId.set(id, proto);
}

/** The prototype of a helper, when this verifier part models it. */
export function helperProto(funcId: number): HelperProto | undefined {
  return byId.get(funcId);
}
