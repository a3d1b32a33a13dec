import { BtfFuncLinkage, type BtfBuilder } from '@bpfkit/btf';

/**
 * The program-allocated object and graph kfuncs of Linux 6.18 (kernel/bpf/helpers.c) with
 * their prototypes as vmlinux BTF has them (the `__k`, `__ign`, `__alloc`, `__refcounted_kptr`
 * argument names the verifier reads), and the graph structs they take. Added last, so the ids
 * of earlier types do not move.
 */
export function addGraphKfuncs(b: BtfBuilder, t: { int: number; u64: number }): void {
  const ptr = (type: number): number => b.add({ kind: 'PTR', name: '', type });
  const opaque = (name: string, words: number): number => {
    const u64s = b.add({ kind: 'ARRAY', name: '', type: t.u64, indexType: t.int, nelems: words });
    return b.add({ kind: 'STRUCT', name, size: words * 8, kflag: false, members: [{ name: '__opaque', type: u64s, bitsOffset: 0, bitfieldSize: 0 }] });
  };
  const head = ptr(opaque('bpf_list_head', 2));
  const node = ptr(opaque('bpf_list_node', 3));
  const root = ptr(opaque('bpf_rb_root', 2));
  const rbNodeT = opaque('bpf_rb_node', 4);
  const rbNode = ptr(rbNodeT);
  const voidPtr = ptr(0);
  const bool = b.add({ kind: 'INT', name: '_Bool', size: 1, encoding: 4, bitsOffset: 0, bits: 8 });
  const func = (name: string, ret: number, params: readonly [string, number][]): void => {
    const proto = b.add({ kind: 'FUNC_PROTO', name: '', type: ret, params: params.map(([n, type]) => ({ name: n, type })) });
    b.add({ kind: 'FUNC', name, type: proto, linkage: BtfFuncLinkage.STATIC });
  };
  func('bpf_obj_new_impl', voidPtr, [['local_type_id__k', t.u64], ['meta__ign', voidPtr]]);
  func('bpf_percpu_obj_new_impl', voidPtr, [['local_type_id__k', t.u64], ['meta__ign', voidPtr]]);
  func('bpf_obj_drop_impl', 0, [['p__alloc', voidPtr], ['meta__ign', voidPtr]]);
  func('bpf_percpu_obj_drop_impl', 0, [['p__alloc', voidPtr], ['meta__ign', voidPtr]]);
  func('bpf_refcount_acquire_impl', voidPtr, [['p__refcounted_kptr', voidPtr], ['meta__ign', voidPtr]]);
  for (const end of ['front', 'back']) {
    func(`bpf_list_push_${end}_impl`, t.int, [['head', head], ['node', node], ['meta__ign', voidPtr], ['off', t.u64]]);
    func(`bpf_list_pop_${end}`, node, [['head', head]]);
    func(`bpf_list_${end}`, node, [['head', head]]);
  }
  const constRbNode = ptr(b.add({ kind: 'CONST', name: '', type: rbNodeT, kflag: false }));
  const less = ptr(b.add({ kind: 'FUNC_PROTO', name: '', type: bool, params: [{ name: '', type: rbNode }, { name: '', type: constRbNode }] }));
  func('bpf_rbtree_add_impl', t.int, [['root', root], ['node', rbNode], ['less', less], ['meta__ign', voidPtr], ['off', t.u64]]);
  func('bpf_rbtree_remove', rbNode, [['root', root], ['node', rbNode]]);
  func('bpf_rbtree_first', rbNode, [['root', root]]);
  func('bpf_rbtree_root', rbNode, [['root', root]]);
  func('bpf_rbtree_left', rbNode, [['root', root], ['node', rbNode]]);
  func('bpf_rbtree_right', rbNode, [['root', root], ['node', rbNode]]);
}
