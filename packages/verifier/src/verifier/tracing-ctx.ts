import { BpfProgType } from '@bpfkit/uapi';
import type { BtfView } from '@bpfkit/kernel-api';
import { kernelBtf } from './btf-access.js';
import { skipModifiers } from './btf-walk.js';
import type { VerifierEnv } from './env.js';
import { argHasSuffix, btfResolveSize, isBtfStruct, skipModifiersId } from './kfunc-btf.js';
import { pointer, type RegState } from './state.js';

const TRACING = 26, TRACE_ITER = 28;

/**
 * Raw tracepoints whose arguments may be NULL (by argument index), or an error pointer
 * (`err`), as 6.18 knows them; such arguments are not trusted non-NULL pointers.
 */
const MAYBE_NULL_ARGS: Readonly<Record<string, { readonly nulls: readonly number[]; readonly err?: readonly number[] }>> = {
  sched_pi_setprio: { nulls: [1] }, sched_process_wait: { nulls: [0] }, sched_stick_numa: { nulls: [2] }, sched_swap_numa: { nulls: [2] },
  afs_make_fs_call: { nulls: [1] }, afs_make_fs_calli: { nulls: [1] }, afs_make_fs_call1: { nulls: [1] }, afs_make_fs_call2: { nulls: [1] },
  afs_protocol_error: { nulls: [0] }, afs_flock_ev: { nulls: [1] },
  ...Object.fromEntries(['unlink', 'rename', 'prep_read', 'mark_active', 'mark_failed', 'mark_inactive', 'vfs_error', 'io_error', 'ondemand_open',
    'ondemand_copen', 'ondemand_close', 'ondemand_read', 'ondemand_cread', 'ondemand_fd_write', 'ondemand_fd_release'].map((n) => [`cachefiles_${n}`, { nulls: [0] }])),
  ext4_mballoc_discard: { nulls: [1] }, ext4_mballoc_free: { nulls: [1] }, fib_table_lookup: { nulls: [2] },
  ...Object.fromEntries(['posix_lock_inode', 'fcntl_setlk', 'locks_remove_posix', 'flock_lock_inode', 'break_lease_noblock', 'break_lease_block',
    'break_lease_unblock', 'generic_delete_lease', 'time_out_leases', 'mm_khugepaged_scan_pmd', 'mm_khugepaged_scan_file', 'mm_khugepaged_collapse_file',
    'netfs_failure', 'device_pm_callback_start', 'rxrpc_resend'].map((n) => [n, { nulls: [1] }])),
  host1x_cdma_push_gather: { nulls: [4] }, mm_collapse_huge_page_isolate: { nulls: [0] }, mm_page_alloc: { nulls: [0] },
  mm_page_pcpu_drain: { nulls: [0] }, mm_page_alloc_zone_locked: { nulls: [0] }, qdisc_dequeue: { nulls: [3] }, rxrpc_recvdata: { nulls: [0] },
  signal_generate: { nulls: [], err: [1] }, signal_deliver: { nulls: [], err: [1] },
};

/** The argument a context offset reads: each takes 8 bytes, or its size rounded up to 8 (`get_ctx_arg_idx`). */
function argAt(btf: BtfView, params: readonly { readonly type: number }[], off: number): number {
  let end = 0;
  for (let i = 0; i < params.length; i++) {
    const t = skipModifiers(btf, params[i]?.type ?? 0);
    end += t?.kind === 'PTR' ? 8 : Math.ceil((btfResolveSize(btf, t) ?? 8) / 8) * 8;
    if (off < end) return i;
  }
  return params.length;
}

/**
 * `btf_ctx_access` of a tp_btf or iterator program for an argument that points to a struct: a
 * trusted BTF pointer (`prog_args_trusted`), maybe NULL where the tracepoint (or a `__nullable`
 * argument) says so, and for the objects an iterator walks. Undefined for everything else, which the program
 * type's context table decides (scalars, `void *`, integer pointers, error pointers).
 *
 * @example
 * const r1 = tpBtfCtxPointer(env, 0, 8, false); // trusted_ptr_task_struct() for task_newtask's first argument
 */
export function tpBtfCtxPointer(env: VerifierEnv, off: number, size: number, write: boolean): RegState | undefined {
  const fn = env.req.attachFunc;
  const iter = env.req.expectedAttachType === TRACE_ITER;
  if (env.req.progType !== TRACING || (fn?.btfTrace !== true && !iter) || fn === undefined || write || size !== 8 || off < 0 || off % 8 !== 0) return undefined;
  const all = fn.btf.type(fn.protoId)?.params ?? [];
  const params = fn.btfTrace === true ? all.slice(1) : all;
  const arg = argAt(fn.btf, params, off);
  const param = params[arg];
  const t = param === undefined ? undefined : skipModifiers(fn.btf, param.type);
  if (param === undefined || t?.kind !== 'PTR') return undefined;
  const btfId = skipModifiersId(fn.btf, t.type ?? 0);
  if (!isBtfStruct(fn.btf.type(btfId))) return undefined;
  // An iterator's first argument is its `bpf_iter_meta`; the objects it walks may be NULL (the targets' `ctx_arg_info`,
  // which the kernel answers from without a word).
  if (iter && arg > 0) return pointer('ptr_or_null_', 0, { btf: fn.btf, btfId, btfMod: 'trusted', id: env.nextId++ });
  // Found in the function's own prototype: the kernel says so, at any log level.
  const target = fn.btf.type(btfId);
  if (env.log.level !== 0) env.log.line(`func '${fn.name}' arg${String(arg)} has btf_id ${String(btfId)} type ${target?.kind ?? ''} '${target?.name ?? ''}'`);
  if (iter) return pointer('ptr_', 0, { btf: fn.btf, btfId, btfMod: 'trusted' });
  const known = MAYBE_NULL_ARGS[fn.name];
  if (known?.err?.includes(arg) === true) return undefined;
  const nullable = known?.nulls.includes(arg) === true || argHasSuffix({ name: param.name ?? '', type: param.type }, '__nullable');
  return pointer(nullable ? 'ptr_or_null_' : 'ptr_', 0, { btf: fn.btf, btfId, btfMod: 'trusted', ...(nullable ? { id: env.nextId++ } : {}) });
}

const NETFILTER = BpfProgType.BPF_PROG_TYPE_NETFILTER;

/**
 * `nf_is_valid_access`'s pointers: `bpf_nf_ctx->state` and `->skb` are trusted pointers to the
 * kernel's `struct nf_hook_state` and `struct sk_buff` (undefined for other programs, or without
 * the kernel's BTF, when they stay scalars).
 *
 * @example
 * const state = netfilterCtxPointer(env, 0); // trusted_ptr_nf_hook_state
 */
export function netfilterCtxPointer(env: VerifierEnv, off: number): RegState | undefined {
  if (env.req.progType !== NETFILTER || (off !== 0 && off !== 8)) return undefined;
  const btf = kernelBtf(env);
  const btfId = btf?.findAll(off === 0 ? 'nf_hook_state' : 'sk_buff', 'STRUCT')[0];
  return btf === undefined || btfId === undefined ? undefined : pointer('ptr_', 0, { btf, btfId, btfMod: 'trusted' });
}
