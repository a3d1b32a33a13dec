import { bpfFuncId } from '@bpfkit/uapi';

/** Argument kinds of `struct bpf_func_proto` (subset). */
export type ArgType =
  | 'anything' | 'ctx' | 'map' | 'map_key' | 'map_value' | 'uninit_mem' | 'mem' | 'const_size' | 'const_size_or_zero'
  | 'const_alloc_size_or_zero';
/** Return kinds (subset). */
export type RetType = 'integer' | 'void' | 'map_value_or_null' | 'ringbuf_mem_or_null';

export interface HelperProto {
  readonly args: readonly ArgType[];
  readonly ret: RetType;
  readonly gplOnly?: boolean;
}

const probeRead: HelperProto = { args: ['uninit_mem', 'const_size_or_zero', 'anything'], ret: 'integer', gplOnly: true };
const noArgs: HelperProto = { args: [], ret: 'integer' };

/** Prototypes the first verifier part checks arguments for; other helpers are called unchecked. */
const PROTOS: Readonly<Record<string, HelperProto>> = {
  map_lookup_elem: { args: ['map', 'map_key'], ret: 'map_value_or_null' },
  map_update_elem: { args: ['map', 'map_key', 'map_value', 'anything'], ret: 'integer' },
  map_delete_elem: { args: ['map', 'map_key'], ret: 'integer' },
  probe_read: probeRead,
  probe_read_kernel: probeRead,
  probe_read_user: probeRead,
  probe_read_kernel_str: probeRead,
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
  get_current_comm: { args: ['uninit_mem', 'const_size'], ret: 'integer' },
  trace_printk: { args: ['mem', 'const_size', 'anything', 'anything', 'anything'], ret: 'integer', gplOnly: true },
  tail_call: { args: ['ctx', 'map', 'anything'], ret: 'void' },
  ringbuf_output: { args: ['map', 'mem', 'const_size_or_zero', 'anything'], ret: 'integer' },
  ringbuf_reserve: { args: ['map', 'const_alloc_size_or_zero', 'anything'], ret: 'ringbuf_mem_or_null' },
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
