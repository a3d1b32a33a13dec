import { KfuncFlag, type BtfView, type VerifierKfuncs } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';

const {
  ACQUIRE, RELEASE, RET_NULL, TRUSTED_ARGS, SLEEPABLE, RCU, ITER_NEW, ITER_NEXT, ITER_DESTROY, RCU_PROTECTED, FASTCALL,
} = KfuncFlag;

/** The program-type groups kfunc sets are registered for (`enum btf_kfunc_hook`). */
type Hook = 'common' | 'xdp' | 'tc' | 'struct_ops' | 'tracing' | 'syscall' | 'cgroup' | 'sched_act' | 'sk_skb' | 'socket_filter' | 'lwt' | 'netfilter' |
  'kprobe';

/** One registered set: kfunc names with their flags, and the hooks it is registered for. */
interface KfuncSet {
  readonly hooks: readonly Hook[];
  readonly funcs: Readonly<Record<string, number>>;
}

const ITER = (extra = 0): Record<string, number> => ({ new: ITER_NEW | extra, next: ITER_NEXT | RET_NULL, destroy: ITER_DESTROY });
function iter(name: string, newFlags = 0): Record<string, number> {
  return Object.fromEntries(Object.entries(ITER(newFlags)).map(([k, v]) => [`bpf_iter_${name}_${k}`, v]));
}

/** The vmlinux kfunc sets (kernel/bpf/helpers.c, cpumask.c, arena.c, net/core/filter.c), by registering hook. */
const SETS: readonly KfuncSet[] = [
  {
    // generic_kfunc_set
    hooks: ['tracing', 'tc', 'xdp', 'struct_ops', 'syscall', 'cgroup'],
    funcs: {
      bpf_obj_new_impl: ACQUIRE | RET_NULL, bpf_percpu_obj_new_impl: ACQUIRE | RET_NULL, bpf_obj_drop_impl: RELEASE, bpf_percpu_obj_drop_impl: RELEASE,
      bpf_refcount_acquire_impl: ACQUIRE | RET_NULL | RCU, bpf_list_push_front_impl: 0, bpf_list_push_back_impl: 0,
      bpf_list_pop_front: ACQUIRE | RET_NULL, bpf_list_pop_back: ACQUIRE | RET_NULL,
      bpf_task_acquire: ACQUIRE | RCU | RET_NULL, bpf_task_release: RELEASE,
      bpf_rbtree_remove: ACQUIRE | RET_NULL, bpf_rbtree_add_impl: 0, bpf_rbtree_first: RET_NULL,
      bpf_list_front: RET_NULL, bpf_list_back: RET_NULL, bpf_rbtree_root: RET_NULL, bpf_rbtree_left: RET_NULL, bpf_rbtree_right: RET_NULL,
      bpf_cgroup_acquire: ACQUIRE | RCU | RET_NULL, bpf_cgroup_release: RELEASE, bpf_cgroup_ancestor: ACQUIRE | RCU | RET_NULL,
      bpf_cgroup_from_id: ACQUIRE | RET_NULL, bpf_task_under_cgroup: RCU, bpf_task_get_cgroup1: ACQUIRE | RCU | RET_NULL,
      bpf_task_from_pid: ACQUIRE | RET_NULL, bpf_throw: 0,
    },
  },
  {
    // bpf_prog_test_kfunc_set (net/bpf/test_run.c: test_sk_check_kfunc_ids)
    hooks: ['tc', 'tracing', 'syscall'],
    funcs: { bpf_kfunc_call_test_release: RELEASE, bpf_kfunc_call_memb_release: RELEASE },
  },
  {
    // common_kfunc_set (every program type)
    hooks: ['common'],
    funcs: {
      bpf_cast_to_kern_ctx: FASTCALL, bpf_rdonly_cast: FASTCALL, bpf_rcu_read_lock: 0, bpf_rcu_read_unlock: 0,
      bpf_dynptr_slice: RET_NULL, bpf_dynptr_slice_rdwr: RET_NULL,
      ...iter('num'), ...iter('task_vma', RCU), ...iter('css_task', TRUSTED_ARGS), ...iter('css', TRUSTED_ARGS | RCU_PROTECTED),
      ...iter('task', TRUSTED_ARGS | RCU_PROTECTED), ...iter('bits'),
      bpf_dynptr_adjust: 0, bpf_dynptr_is_null: 0, bpf_dynptr_is_rdonly: 0, bpf_dynptr_size: 0, bpf_dynptr_clone: 0, bpf_dynptr_copy: 0, bpf_dynptr_memset: 0,
      bpf_wq_init: 0, bpf_wq_set_callback_impl: 0, bpf_wq_start: 0, bpf_preempt_disable: 0, bpf_preempt_enable: 0,
      bpf_copy_from_user_str: SLEEPABLE,
      // arena.c
      bpf_arena_alloc_pages: TRUSTED_ARGS | SLEEPABLE, bpf_arena_free_pages: TRUSTED_ARGS | SLEEPABLE, bpf_arena_reserve_pages: TRUSTED_ARGS | SLEEPABLE,
    },
  },
  {
    // cpumask_kfunc_set
    hooks: ['tracing', 'struct_ops', 'syscall'],
    funcs: {
      bpf_cpumask_create: ACQUIRE | RET_NULL, bpf_cpumask_release: RELEASE, bpf_cpumask_acquire: ACQUIRE | TRUSTED_ARGS,
      ...Object.fromEntries([
        'first', 'first_zero', 'first_and', 'set_cpu', 'clear_cpu', 'test_cpu', 'test_and_set_cpu', 'test_and_clear_cpu', 'setall', 'clear',
        'and', 'or', 'xor', 'equal', 'intersects', 'subset', 'empty', 'full', 'copy', 'any_distribute', 'any_and_distribute', 'weight',
      ].map((n) => [`bpf_cpumask_${n}`, RCU])),
    },
  },
  {
    // bpf_kfunc_set_skb
    hooks: ['tc', 'sched_act', 'sk_skb', 'socket_filter', 'cgroup', 'lwt', 'netfilter', 'tracing'],
    funcs: { bpf_dynptr_from_skb: TRUSTED_ARGS },
  },
  { hooks: ['xdp'], funcs: { bpf_dynptr_from_xdp: 0 } },
  // bpf_kfunc_set_skb_meta
  { hooks: ['tc'], funcs: { bpf_dynptr_from_skb_meta: TRUSTED_ARGS } },
];

/** `bpf_prog_type_to_kfunc_hook`. */
function hookOf(progType: number): Hook | undefined {
  const T = BpfProgType;
  switch (progType) {
    case T.BPF_PROG_TYPE_XDP: return 'xdp';
    case T.BPF_PROG_TYPE_SCHED_CLS: return 'tc';
    case T.BPF_PROG_TYPE_STRUCT_OPS: return 'struct_ops';
    case T.BPF_PROG_TYPE_TRACING: case T.BPF_PROG_TYPE_TRACEPOINT: case T.BPF_PROG_TYPE_PERF_EVENT: case T.BPF_PROG_TYPE_LSM: return 'tracing';
    case T.BPF_PROG_TYPE_SYSCALL: return 'syscall';
    case T.BPF_PROG_TYPE_CGROUP_SKB: case T.BPF_PROG_TYPE_CGROUP_SOCK: case T.BPF_PROG_TYPE_CGROUP_DEVICE:
    case T.BPF_PROG_TYPE_CGROUP_SOCK_ADDR: case T.BPF_PROG_TYPE_CGROUP_SOCKOPT: case T.BPF_PROG_TYPE_CGROUP_SYSCTL: return 'cgroup';
    case T.BPF_PROG_TYPE_SCHED_ACT: return 'sched_act';
    case T.BPF_PROG_TYPE_SK_SKB: return 'sk_skb';
    case T.BPF_PROG_TYPE_SOCKET_FILTER: return 'socket_filter';
    case T.BPF_PROG_TYPE_LWT_IN: case T.BPF_PROG_TYPE_LWT_OUT: case T.BPF_PROG_TYPE_LWT_XMIT: case T.BPF_PROG_TYPE_LWT_SEG6LOCAL: return 'lwt';
    case T.BPF_PROG_TYPE_NETFILTER: return 'netfilter';
    case T.BPF_PROG_TYPE_KPROBE: return 'kprobe';
    default: return undefined;
  }
}

/** The flags of `name` in the sets registered for `hook`. */
function setFlags(name: string, hook: Hook): number | undefined {
  for (const set of SETS) {
    const f = set.funcs[name];
    if (f !== undefined && set.hooks.includes(hook)) return f;
  }
  return undefined;
}

/**
 * The kfuncs a program of `progType` may call (`btf_kfunc_id_set_contains`): the
 * common sets first, then those of the program type's hook, by the FUNC's name in `btf`.
 *
 * @example
 * const kfuncs = kfuncSetsFor(vmlinux, BpfProgType.BPF_PROG_TYPE_SYSCALL);
 * kfuncs.flags(vmlinux.findAll('bpf_task_release', 'FUNC')[0] ?? 0); // KfuncFlag.RELEASE
 */
export function kfuncSetsFor(btf: BtfView, progType: number): VerifierKfuncs {
  const hook = hookOf(progType);
  return {
    btf,
    flags(btfId: number): number | undefined {
      const t = btf.type(btfId);
      if (t?.kind !== 'FUNC') return undefined;
      return setFlags(t.name, 'common') ?? (hook === undefined ? undefined : setFlags(t.name, hook));
    },
  };
}
