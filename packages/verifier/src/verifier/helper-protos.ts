import { bpfFuncId, bpfFuncName } from '@bpfkit/uapi';

/**
 * Argument kinds of `struct bpf_func_proto`. Memory arguments: `mem` is `ARG_PTR_TO_MEM | MEM_RDONLY`,
 * `mem_write` `ARG_PTR_TO_MEM | MEM_WRITE` (initialized, written), `uninit_mem` `MEM_UNINIT | MEM_WRITE`;
 * each is followed by its size argument. `btf:<struct>` is `ARG_PTR_TO_BTF_ID` of that struct
 * (`btf_or_null:` with `PTR_MAYBE_NULL`), `fixed_mem:<n>` `ARG_PTR_TO_FIXED_SIZE_MEM | MEM_RDONLY` of n bytes.
 */
export type ArgType =
  | 'anything' | 'ctx' | 'map' | 'map_key' | 'map_value' | 'uninit_mem' | 'mem' | 'mem_write' | 'const_size' | 'const_size_or_zero'
  | 'const_alloc_size_or_zero' | 'sock_common' | 'sock_common_release' | 'ringbuf_mem_release' | 'ctx_or_null' | 'mem_or_null'
  | 'mem_or_null_write' | 'func' | 'stack_or_null' | 'timer' | 'spin_lock' | 'spin_unlock' | 'percpu_btf_id' | 'kptr_xchg_dest'
  | 'btf_id_or_null_release' | 'btf_id_sock_common' | 'map_value_or_null' | 'map_value_uninit' | 'long_out' | 'u32_inout'
  /** `ARG_PTR_TO_CONST_STR`: a NUL-terminated string in a read-only map value. */
  | 'const_str'
  /** `ARG_PTR_TO_SOCKET | PTR_MAYBE_NULL`. */
  | 'sock_or_null'
  /** `ARG_PTR_TO_DYNPTR` (read: `dynptr`; `dynptr_local_uninit` / `dynptr_ringbuf_uninit` initialize one; `dynptr_ringbuf_release` ends one). */
  | 'dynptr' | 'dynptr_local_uninit' | 'dynptr_ringbuf_uninit' | 'dynptr_ringbuf_release'
  | `btf:${string}` | `btf_or_null:${string}` | `fixed_mem:${number}`;
/** Return kinds of `struct bpf_func_proto`. */
export type RetType = 'integer' | 'void' | 'map_value' | 'map_value_or_null' | 'ringbuf_mem_or_null' | 'sock_or_null' | 'sock_common_or_null' | 'tcp_sock_or_null'
  /** `RET_PTR_TO_BTF_ID_TRUSTED` to `struct task_struct`. */
  | 'task_btf'
  /** `RET_PTR_TO_BTF_ID_OR_NULL` to the struct {@link HelperProto.retStruct} names. */
  | 'btf_id_or_null'
  /** `RET_PTR_TO_BTF_ID` to the struct {@link HelperProto.retStruct} names. */
  | 'btf_id'
  /** `RET_PTR_TO_DYNPTR_MEM_OR_NULL`. */
  | 'dynptr_mem_or_null'
  /**
   * `RET_PTR_TO_MEM_OR_BTF_ID | MEM_RDONLY` of the per-CPU argument's type (`bpf_this_cpu_ptr`): read-only
   * memory of its size, or a BTF pointer to its struct; `_or_null` adds `PTR_MAYBE_NULL` (`bpf_per_cpu_ptr`).
   */
  | 'mem_or_btf_id' | 'mem_or_btf_id_or_null';

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
  /** `might_sleep`: only sleepable programs may call it. */
  readonly mightSleep?: boolean;
  /** `allowed`: whether this program (by type, attach type and attach target) may call it at all. */
  readonly allowed?: (prog: HelperCaller) => boolean;
}

/** What a prototype's `allowed` looks at. */
export interface HelperCaller {
  readonly progType: number;
  readonly expectedAttachType: number;
  /** The attach target's function name, for BTF-attached programs. */
  readonly attachName?: string;
}

const TRACING = 26, TRACE_ITER = 28;
/** The functions whose fentry/fexit programs may resolve paths (`btf_allowlist_d_path`). */
const D_PATH_TARGETS: ReadonlySet<string> = new Set(['security_file_permission', 'security_inode_getattr', 'security_file_open',
  'security_path_truncate', 'vfs_truncate', 'vfs_fallocate', 'dentry_open', 'vfs_getattr', 'filp_close']);

/**
 * `bpf_d_path_allowed`: iterators and the listed attach targets. LSM programs attached to a sleepable
 * hook may too; the list of those hooks is not modelled, so they are refused here (never wrongly let through).
 */
function dPathAllowed(prog: HelperCaller): boolean {
  if (prog.progType === TRACING && prog.expectedAttachType === TRACE_ITER) return true;
  return prog.progType === TRACING && D_PATH_TARGETS.has(prog.attachName ?? '');
}

/** The `bpf_skc_to_*` casts: a socket in, a BTF pointer to the socket struct (or NULL) out, same reference. */
const skcTo = (retStruct: string): HelperProto => ({ args: ['btf_id_sock_common'], ret: 'btf_id_or_null', cast: true, retStruct });

const skLookup = (ret: RetType): HelperProto => ({ args: ['ctx', 'mem', 'const_size_or_zero', 'anything', 'anything'], ret, acquire: true, pktAccess: true });

const probeRead: HelperProto = { args: ['uninit_mem', 'const_size_or_zero', 'anything'], ret: 'integer', gplOnly: true };
const noArgs: HelperProto = { args: [], ret: 'integer' };
/** The context, then `n` plain values. */
const ctxThen = (n: number): HelperProto => ({ args: ['ctx', ...Array.from({ length: n }, (): ArgType => 'anything')], ret: 'integer' });

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
  // Takes the older non-BTF socket argument (`ARG_PTR_TO_SOCK_COMMON`).
  skc_to_mptcp_sock: { args: ['sock_common'], ret: 'btf_id_or_null', cast: true, retStruct: 'mptcp_sock' },
  sk_fullsock: { args: ['sock_common'], ret: 'sock_or_null', cast: true },
  tcp_sock: { args: ['sock_common'], ret: 'tcp_sock_or_null', cast: true },
  get_listener_sock: { args: ['sock_common'], ret: 'sock_or_null' },
  skb_ecn_set_ce: { args: ['ctx'], ret: 'integer' },
  csum_diff: { args: ['mem_or_null', 'const_size_or_zero', 'mem_or_null', 'const_size_or_zero', 'anything'], ret: 'integer', pktAccess: true },
  csum_update: { args: ['ctx', 'anything'], ret: 'integer' },
  get_local_storage: { args: ['map', 'anything'], ret: 'map_value' },
  get_stackid: { args: ['ctx', 'map', 'anything'], ret: 'integer', gplOnly: true },
  perf_event_output: { args: ['ctx', 'map', 'anything', 'mem', 'const_size_or_zero'], ret: 'integer', gplOnly: true },
  getsockopt: { args: ['ctx', 'anything', 'anything', 'uninit_mem', 'const_size'], ret: 'integer' },
  setsockopt: { args: ['ctx', 'anything', 'anything', 'mem', 'const_size'], ret: 'integer' },
  get_netns_cookie: { args: ['ctx_or_null'], ret: 'integer' },
  skb_load_bytes: { args: ['ctx', 'anything', 'uninit_mem', 'const_size'], ret: 'integer' },
  skb_load_bytes_relative: { args: ['ctx', 'anything', 'uninit_mem', 'const_size', 'anything'], ret: 'integer' },
  skb_store_bytes: { args: ['ctx', 'anything', 'mem', 'const_size', 'anything'], ret: 'integer' },
  get_socket_cookie: { args: ['ctx'], ret: 'integer' },
  get_socket_uid: { args: ['ctx'], ret: 'integer' },
  // The skb program types take the context (see BY_PROG_TYPE); the others read the current task's.
  get_cgroup_classid: noArgs,
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
  find_vma: { args: ['btf:task_struct', 'anything', 'func', 'stack_or_null', 'anything'], ret: 'integer' },
  timer_init: { args: ['timer', 'map', 'anything'], ret: 'integer', gplOnly: true },
  timer_set_callback: { args: ['timer', 'func'], ret: 'integer', gplOnly: true },
  timer_start: { args: ['timer', 'anything', 'anything'], ret: 'integer', gplOnly: true },
  timer_cancel: { args: ['timer'], ret: 'integer', gplOnly: true },
  // The kernel's per-CPU BTF pointers are never produced here: every call is refused at the pointer, as the kernel refuses other pointers.
  per_cpu_ptr: { args: ['percpu_btf_id', 'anything'], ret: 'mem_or_btf_id_or_null' },
  this_cpu_ptr: { args: ['percpu_btf_id'], ret: 'mem_or_btf_id' },
  // Swaps a referenced kptr of a map value. Only NULL can be swapped in (no BTF pointers here); what comes out is
  // a reference the program must give back, which it cannot without kfuncs, so it is held to the end.
  kptr_xchg: { args: ['kptr_xchg_dest', 'btf_id_or_null_release'], ret: 'integer', acquire: true },
  // The result goes to an aligned, possibly uninitialized s64 (`ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED`).
  strtol: { args: ['mem', 'const_size', 'anything', 'long_out'], ret: 'integer' },
  strtoul: { args: ['mem', 'const_size', 'anything', 'long_out'], ret: 'integer' },
  // mtu_len is read and written: an aligned, initialized u32.
  check_mtu: { args: ['ctx', 'anything', 'u32_inout', 'anything', 'anything'], ret: 'integer', gplOnly: true },
  sk_storage_get: { args: ['map', 'btf_id_sock_common', 'map_value_or_null', 'anything'], ret: 'map_value_or_null' },
  sk_storage_delete: { args: ['map', 'btf_id_sock_common'], ret: 'integer' },
  spin_lock: { args: ['spin_lock'], ret: 'void' },
  spin_unlock: { args: ['spin_unlock'], ret: 'void' },
  // Socket buffers: the context and plain values, or a buffer and its size.
  clone_redirect: ctxThen(2),
  skb_vlan_push: ctxThen(2),
  skb_vlan_pop: ctxThen(0),
  skb_get_tunnel_key: { args: ['ctx', 'uninit_mem', 'const_size', 'anything'], ret: 'integer' },
  skb_set_tunnel_key: { args: ['ctx', 'mem', 'const_size', 'anything'], ret: 'integer' },
  skb_get_tunnel_opt: { args: ['ctx', 'uninit_mem', 'const_size'], ret: 'integer' },
  skb_set_tunnel_opt: { args: ['ctx', 'mem', 'const_size'], ret: 'integer' },
  redirect: { args: ['anything', 'anything'], ret: 'integer' },
  redirect_peer: { args: ['anything', 'anything'], ret: 'integer' },
  redirect_neigh: { args: ['anything', 'mem_or_null', 'const_size_or_zero', 'anything'], ret: 'integer' },
  get_route_realm: ctxThen(0),
  skb_change_proto: ctxThen(2),
  skb_change_type: ctxThen(1),
  skb_under_cgroup: { args: ['ctx', 'map', 'anything'], ret: 'integer' },
  set_hash_invalid: ctxThen(0),
  set_hash: ctxThen(1),
  skb_adjust_room: ctxThen(3),
  skb_get_xfrm_state: { args: ['ctx', 'anything', 'uninit_mem', 'const_size', 'anything'], ret: 'integer' },
  fib_lookup: { args: ['ctx', 'mem_write', 'const_size', 'anything'], ret: 'integer', gplOnly: true },
  skb_cgroup_id: ctxThen(0),
  skb_ancestor_cgroup_id: ctxThen(1),
  skb_cgroup_classid: ctxThen(0),
  csum_level: ctxThen(1),
  skb_set_tstamp: ctxThen(2),
  lwt_push_encap: { args: ['ctx', 'anything', 'mem', 'const_size'], ret: 'integer' },
  // bpf_lwt_seg6_*: CONFIG_IPV6_SEG6_BPF is off in the reference kernel's configuration, so they have no prototype.
  sk_assign: { args: ['ctx', 'btf_id_sock_common', 'anything'], ret: 'integer' },
  // XDP.
  redirect_map: { args: ['map', 'anything', 'anything'], ret: 'integer' },
  // Outside XDP programs (see BY_PROG_TYPE) it takes a BTF `struct xdp_buff`.
  xdp_get_buff_len: { args: ['btf:xdp_buff'], ret: 'integer' },
  xdp_load_bytes: { args: ['ctx', 'anything', 'uninit_mem', 'const_size'], ret: 'integer' },
  xdp_store_bytes: { args: ['ctx', 'anything', 'mem', 'const_size'], ret: 'integer' },
  // Socket maps, sk_msg and sock_ops.
  sk_redirect_map: { args: ['ctx', 'map', 'anything', 'anything'], ret: 'integer' },
  sk_redirect_hash: { args: ['ctx', 'map', 'map_key', 'anything'], ret: 'integer' },
  msg_redirect_map: { args: ['ctx', 'map', 'anything', 'anything'], ret: 'integer' },
  msg_redirect_hash: { args: ['ctx', 'map', 'map_key', 'anything'], ret: 'integer' },
  sock_map_update: { args: ['ctx', 'map', 'map_key', 'anything'], ret: 'integer' },
  sock_hash_update: { args: ['ctx', 'map', 'map_key', 'anything'], ret: 'integer' },
  sk_select_reuseport: { args: ['ctx', 'map', 'map_key', 'anything'], ret: 'integer' },
  msg_apply_bytes: ctxThen(1),
  msg_cork_bytes: ctxThen(1),
  msg_pull_data: ctxThen(3),
  msg_push_data: ctxThen(3),
  msg_pop_data: ctxThen(3),
  sock_ops_cb_flags_set: ctxThen(1),
  load_hdr_opt: { args: ['ctx', 'mem_write', 'const_size', 'anything'], ret: 'integer' },
  store_hdr_opt: { args: ['ctx', 'mem', 'const_size', 'anything'], ret: 'integer' },
  reserve_hdr_opt: ctxThen(2),
  bind: { args: ['ctx', 'mem', 'const_size'], ret: 'integer' },
  // Sockets as BTF pointers (the syncookie helpers read the packet's headers: pkt_access).
  tcp_check_syncookie: { args: ['btf_id_sock_common', 'mem', 'const_size', 'mem', 'const_size'], ret: 'integer', pktAccess: true, gplOnly: true },
  tcp_gen_syncookie: { args: ['btf_id_sock_common', 'mem', 'const_size', 'mem', 'const_size'], ret: 'integer', pktAccess: true, gplOnly: true },
  tcp_send_ack: { args: ['btf:tcp_sock', 'anything'], ret: 'integer' },
  sk_cgroup_id: { args: ['btf_id_sock_common'], ret: 'integer' },
  sk_ancestor_cgroup_id: { args: ['btf_id_sock_common', 'anything'], ret: 'integer' },
  tcp_raw_gen_syncookie_ipv4: { args: ['fixed_mem:20', 'mem', 'const_size_or_zero'], ret: 'integer', pktAccess: true, gplOnly: true },
  tcp_raw_gen_syncookie_ipv6: { args: ['fixed_mem:40', 'mem', 'const_size_or_zero'], ret: 'integer', pktAccess: true, gplOnly: true },
  tcp_raw_check_syncookie_ipv4: { args: ['fixed_mem:20', 'fixed_mem:20'], ret: 'integer', pktAccess: true, gplOnly: true },
  tcp_raw_check_syncookie_ipv6: { args: ['fixed_mem:40', 'fixed_mem:20'], ret: 'integer', pktAccess: true, gplOnly: true },
  // Cgroup sysctl and sockopt programs.
  sysctl_get_name: { args: ['ctx', 'mem_write', 'const_size', 'anything'], ret: 'integer' },
  sysctl_get_current_value: { args: ['ctx', 'uninit_mem', 'const_size'], ret: 'integer' },
  sysctl_get_new_value: { args: ['ctx', 'uninit_mem', 'const_size'], ret: 'integer' },
  sysctl_set_new_value: { args: ['ctx', 'mem', 'const_size'], ret: 'integer' },
  get_retval: noArgs,
  set_retval: { args: ['anything'], ret: 'integer' },
  // Lirc mode2.
  rc_repeat: { args: ['ctx'], ret: 'integer', gplOnly: true },
  rc_keydown: { args: ['ctx', 'anything', 'anything', 'anything'], ret: 'integer', gplOnly: true },
  rc_pointer_rel: { args: ['ctx', 'anything', 'anything'], ret: 'integer', gplOnly: true },
  // Maps.
  perf_event_read: { args: ['map', 'anything'], ret: 'integer', gplOnly: true },
  perf_event_read_value: { args: ['map', 'anything', 'uninit_mem', 'const_size'], ret: 'integer', gplOnly: true },
  current_task_under_cgroup: { args: ['map', 'anything'], ret: 'integer' },
  map_push_elem: { args: ['map', 'map_value', 'anything'], ret: 'integer', pktAccess: true },
  map_pop_elem: { args: ['map', 'map_value_uninit'], ret: 'integer' },
  map_peek_elem: { args: ['map', 'map_value_uninit'], ret: 'integer' },
  map_lookup_percpu_elem: { args: ['map', 'map_key', 'anything'], ret: 'map_value_or_null', pktAccess: true },
  ringbuf_query: { args: ['map', 'anything'], ret: 'integer' },
  inode_storage_get: { args: ['map', 'btf_or_null:inode', 'map_value_or_null', 'anything'], ret: 'map_value_or_null' },
  inode_storage_delete: { args: ['map', 'btf_or_null:inode'], ret: 'integer' },
  task_storage_get: { args: ['map', 'btf_or_null:task_struct', 'map_value_or_null', 'anything'], ret: 'map_value_or_null' },
  task_storage_delete: { args: ['map', 'btf_or_null:task_struct'], ret: 'integer' },
  cgrp_storage_get: { args: ['map', 'btf_or_null:cgroup', 'map_value_or_null', 'anything'], ret: 'map_value_or_null' },
  cgrp_storage_delete: { args: ['map', 'btf_or_null:cgroup'], ret: 'integer' },
  // Tracing.
  get_current_task: { args: [], ret: 'integer', gplOnly: true },
  get_current_cgroup_id: noArgs,
  get_current_ancestor_cgroup_id: { args: ['anything'], ret: 'integer' },
  probe_write_user: { args: ['anything', 'mem', 'const_size'], ret: 'integer', gplOnly: true },
  perf_prog_read_value: { args: ['ctx', 'uninit_mem', 'const_size'], ret: 'integer', gplOnly: true },
  override_return: { args: ['ctx', 'anything'], ret: 'integer', gplOnly: true },
  send_signal: { args: ['anything'], ret: 'integer' },
  send_signal_thread: { args: ['anything'], ret: 'integer' },
  read_branch_records: { args: ['ctx', 'mem_or_null_write', 'const_size_or_zero', 'anything'], ret: 'integer', gplOnly: true },
  get_ns_current_pid_tgid: { args: ['anything', 'anything', 'uninit_mem', 'const_size'], ret: 'integer' },
  skb_output: { args: ['btf:sk_buff', 'map', 'anything', 'mem', 'const_size_or_zero'], ret: 'integer', gplOnly: true },
  xdp_output: { args: ['btf:xdp_buff', 'map', 'anything', 'mem', 'const_size_or_zero'], ret: 'integer', gplOnly: true },
  seq_printf: { args: ['btf:seq_file', 'mem', 'const_size', 'mem_or_null', 'const_size_or_zero'], ret: 'integer', gplOnly: true },
  seq_write: { args: ['btf:seq_file', 'mem', 'const_size_or_zero'], ret: 'integer', gplOnly: true },
  seq_printf_btf: { args: ['btf:seq_file', 'mem', 'const_size_or_zero', 'anything'], ret: 'integer' },
  get_task_stack: { args: ['btf:task_struct', 'uninit_mem', 'const_size_or_zero', 'anything'], ret: 'integer' },
  d_path: { args: ['btf:path', 'mem_write', 'const_size_or_zero'], ret: 'integer', allowed: dPathAllowed },
  copy_from_user: { args: ['uninit_mem', 'const_size_or_zero', 'anything'], ret: 'integer', mightSleep: true },
  copy_from_user_task: { args: ['uninit_mem', 'const_size_or_zero', 'anything', 'btf:task_struct', 'anything'], ret: 'integer', gplOnly: true,
    mightSleep: true },
  snprintf_btf: { args: ['mem_write', 'const_size', 'mem', 'const_size', 'anything'], ret: 'integer' },
  snprintf: { args: ['mem_or_null_write', 'const_size_or_zero', 'const_str', 'mem_or_null', 'const_size_or_zero'], ret: 'integer', gplOnly: true },
  trace_vprintk: { args: ['mem', 'const_size', 'mem_or_null', 'const_size_or_zero'], ret: 'integer', gplOnly: true },
  strncmp: { args: ['mem', 'const_size', 'const_str'], ret: 'integer' },
  bprm_opts_set: { args: ['btf:linux_binprm', 'anything'], ret: 'integer' },
  ima_inode_hash: { args: ['btf:inode', 'mem_write', 'const_size'], ret: 'integer', mightSleep: true },
  ima_file_hash: { args: ['btf:file', 'mem_write', 'const_size'], ret: 'integer', mightSleep: true },
  sock_from_file: { args: ['btf:file'], ret: 'btf_id_or_null', retStruct: 'socket' },
  task_pt_regs: { args: ['btf:task_struct'], ret: 'btf_id', retStruct: 'pt_regs' },
  get_func_ip: { args: ['ctx'], ret: 'integer', gplOnly: true },
  get_attach_cookie: ctxThen(0),
  get_func_arg: { args: ['ctx', 'anything', 'long_out'], ret: 'integer' },
  get_func_ret: { args: ['ctx', 'long_out'], ret: 'integer' },
  get_func_arg_cnt: ctxThen(0),
  get_branch_snapshot: { args: ['uninit_mem', 'const_size_or_zero'], ret: 'integer', gplOnly: true },
  kallsyms_lookup_name: { args: ['mem', 'const_size_or_zero', 'anything', 'long_out'], ret: 'integer' },
  // Syscall programs.
  sys_bpf: { args: ['anything', 'mem', 'const_size'], ret: 'integer' },
  btf_find_by_name_kind: { args: ['mem', 'const_size', 'anything', 'anything'], ret: 'integer' },
  sys_close: { args: ['anything'], ret: 'integer' },
  // Dynamic pointers.
  dynptr_from_mem: { args: ['uninit_mem', 'const_size_or_zero', 'anything', 'dynptr_local_uninit'], ret: 'integer' },
  ringbuf_reserve_dynptr: { args: ['map', 'anything', 'anything', 'dynptr_ringbuf_uninit'], ret: 'integer' },
  ringbuf_submit_dynptr: { args: ['dynptr_ringbuf_release', 'anything'], ret: 'void' },
  ringbuf_discard_dynptr: { args: ['dynptr_ringbuf_release', 'anything'], ret: 'void' },
  dynptr_read: { args: ['uninit_mem', 'const_size_or_zero', 'dynptr', 'anything', 'anything'], ret: 'integer' },
  dynptr_write: { args: ['dynptr', 'anything', 'mem', 'const_size_or_zero', 'anything'], ret: 'integer' },
  dynptr_data: { args: ['dynptr', 'anything', 'const_alloc_size_or_zero'], ret: 'dynptr_mem_or_null' },
};

const SKB_CLASSID = { get_cgroup_classid: { args: ['ctx'], ret: 'integer' } } as const satisfies Record<string, HelperProto>;
const BTF_SOCK_COOKIE = { get_socket_cookie: { args: ['btf_id_sock_common'], ret: 'integer' } } as const satisfies Record<string, HelperProto>;

/** Program types whose `get_func_proto` gives some helpers another prototype than the common one. */
const BY_PROG_TYPE: Readonly<Record<number, Readonly<Record<string, HelperProto>>>> = {
  3: SKB_CLASSID, 4: SKB_CLASSID, 10: SKB_CLASSID, 11: SKB_CLASSID, 12: SKB_CLASSID, 19: SKB_CLASSID,
  6: { xdp_get_buff_len: ctxThen(0) },
  26: BTF_SOCK_COOKIE,
  29: BTF_SOCK_COOKIE,
  31: BTF_SOCK_COOKIE,
  30: { sk_assign: { args: ['ctx', 'sock_or_null', 'anything'], ret: 'integer' } },
};

const byId = new Map<number, HelperProto>();
for (const [name, proto] of Object.entries(PROTOS)) {
  const id = bpfFuncId(name);
  if (id !== undefined) byId.set(id, proto);
}

/** The prototype of a helper (in `progType`'s variant when given), undefined for one the verifier has none for. */
export function helperProto(funcId: number, progType?: number): HelperProto | undefined {
  if (progType !== undefined) {
    const own = BY_PROG_TYPE[progType];
    const name = own === undefined ? undefined : bpfFuncName(funcId);
    if (own !== undefined && name !== undefined && own[name] !== undefined) return own[name];
  }
  return byId.get(funcId);
}
